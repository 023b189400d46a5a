package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmEmitted;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.kernels.Threads;
import dev.kiln.tests.golden.FileCheck;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fifth round's memory layout (docs/llvm.md, "the whole-model gap"): temps with disjoint live ranges share
 * storage ({@code kiln.llvm.reuseTemps}, compile time) and an instance's buffers are one block on huge pages when the
 * OS grants them ({@code kiln.native.hugePages}, per instance). Every model must give the same bits as the old layout
 * (one allocation per storage, normal pages), which is within 1e-4 of the interpreter: from the JIT on 1 thread, on
 * 2 threads with every kernel split and every segment forked (the most barriers, so a thread writing a shared slot
 * while another still reads it would show), with huge pages switched off (the fallback), and from an AOT artifact.
 */
@Tag("llvm")
class MemoryLayoutLlvmTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final String[] SWITCHES = {"kiln.llvm.reuseTemps", "kiln.native.hugePages", "kiln.llvm.minSplitWork", "kiln.native.minForkWork"};

  @TempDir Path dir;

  @AfterEach
  void restore() {
    for (String s : SWITCHES) System.clearProperty(s);
    Threads.setThreads(Runtime.getRuntime().availableProcessors());
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "cnn", "resnet_small", "mobilenet_v2", "squeezenet1_1", "lstm", "transformer", "mlp_dynq"})
  void sharedTempsAndHugePagesGiveTheOldBits(String model) throws Exception {
    Fixture f = fixture(model);
    System.setProperty("kiln.llvm.reuseTemps", "false");
    System.setProperty("kiln.native.hugePages", "false");
    List<Object> old;
    try (LlvmCompiled c = LlvmBackend.compile(f.opt.graph(), f.used, LlvmOptions.defaults())) {
      old = c.instantiate(f.used, 1).run(f.inputs);
    }
    close(model + " old layout", f.want, old);
    restore();
    try (LlvmCompiled c = LlvmBackend.compile(f.opt.graph(), f.used, LlvmOptions.defaults())) {
      same(model + " shared temps, huge pages", old, c.instantiate(f.used, 1).run(f.inputs));
      System.setProperty("kiln.native.hugePages", "false");
      same(model + " shared temps, normal pages", old, c.instantiate(f.used, 1).run(f.inputs));
    }
    restore();
    System.setProperty("kiln.llvm.minSplitWork", "0");
    System.setProperty("kiln.native.minForkWork", "0");
    try (LlvmCompiled c = LlvmBackend.compile(f.opt.graph(), f.used, LlvmOptions.defaults())) {
      var m = c.instantiate(f.used, 2);
      for (int r = 0; r < 3; r++) same(model + " shared temps, 2 threads, run " + r, old, m.run(f.inputs));
    }
    AotModel aot = AotModelCompiler.compile(f.opt.graph(), f.used, LlvmOptions.defaults());
    Path file = dir.resolve(model + ".kiln");
    ArtifactWriter.writeNative(file, f.opt.graph(), f.used, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    KilnModel loaded = KilnModel.load(file);
    Tensor[] in = f.inputs.stream().map(o -> (Tensor) o).toArray(Tensor[]::new);
    for (int t : new int[] {1, 2}) {
      Threads.setThreads(t);
      same(model + " aot t" + t, old, new ArrayList<>(loaded.run(in)));
    }
  }

  /** Golden: mobilenet_v2's plan has temps as aliases of a few slots, and far fewer temp bytes than without. */
  @Test
  void mobilenetPlanSharesTemps() throws Exception {
    Fixture f = fixture("mobilenet_v2");
    KernelProgram shared = plan(f), own;
    System.setProperty("kiln.llvm.reuseTemps", "false");
    own = plan(f);
    String text = KernelPrinter.print(shared);
    FileCheck.match(FileCheck.directives("""
        // CHECK: buffer %slot0: f32
        // CHECK-SAME: temp
        // CHECK: alias %slot0
        // CHECK: buffer %slot1: f32
        // CHECK-SAME: temp
        // CHECK: alias %slot1
        // CHECK: alias %slot0
        """, 1), text, "mobilenetPlanSharesTemps");
    FileCheck.match(FileCheck.directives("// CHECK-NOT: slot0", 1), KernelPrinter.print(own), "mobilenetPlanSharesTemps (off)");
    assertTrue(tempBytes(shared) * 2 < tempBytes(own), "temp bytes " + tempBytes(shared) + " shared vs " + tempBytes(own) + " own");
  }

  private static KernelProgram plan(Fixture f) {
    LlvmEmitted e = LlvmBackend.emit(f.opt.graph(), f.used, LlvmOptions.defaults());
    e.module().close();
    return e.plan().program();
  }

  private static long tempBytes(KernelProgram p) {
    return p.buffers().values().stream().filter(b -> b.role() == KBuffer.Role.TEMP).mapToLong(b -> b.numel() * 4).sum();
  }

  private record Fixture(Program opt, Map<String, Tensor> used, List<Object> inputs, List<Object> want) {}

  private static Fixture fixture(String model) throws Exception {
    Path pt = MODELS.resolve(model).resolve(model.equals("mlp_dynq") ? "scripted.pt" : "frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    return new Fixture(opt, AotModelsTest.usedWeights(opt), List.of(input), want);
  }

  private static void same(String what, List<Object> want, List<Object> got) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      if (!(want.get(i) instanceof Tensor w)) {
        assertEquals(want.get(i), got.get(i), what + " output " + i);
        continue;
      }
      Tensor g = (Tensor) got.get(i);
      assertArrayEquals(bytes(w), bytes(g), what + " output " + i + " differs from the old layout (max |diff| " + g.maxAbsDiff(w) + ")");
    }
  }

  private static void close(String what, List<Object> want, List<Object> got) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      if (!(want.get(i) instanceof Tensor w)) continue;
      Tensor g = (Tensor) got.get(i);
      double scale = 1e-6;
      for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(g.allClose(w, 1e-4 * scale, 1e-4), what + " output " + i + ": max |diff| " + g.maxAbsDiff(w) + " vs scale " + scale);
    }
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
