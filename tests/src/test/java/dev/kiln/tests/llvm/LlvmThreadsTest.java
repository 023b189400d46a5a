package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
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
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Threads in the LLVM backend: the generated code splits kernels over output tiles and never a reduction, so every
 * thread count must give the same bits. Each small fixture is compiled with every kernel split and every segment
 * forked ({@code kiln.llvm.minSplitWork} and {@code kiln.native.minForkWork} at 0, the most barriers), run by the JIT
 * on 1, 2 and 3 threads and from an AOT artifact through {@link KilnModel} on 1 and 3 runtime threads; all outputs must
 * be identical bytes and within 1e-4 of the interpreter. Also several callers at once on one loaded model with 2
 * threads each, and the default thresholds.
 */
@Tag("llvm")
class LlvmThreadsTest {
  static final Path MODELS = Path.of("fixtures/models");

  @TempDir Path dir;

  @AfterEach
  void restore() {
    System.clearProperty("kiln.llvm.minSplitWork");
    System.clearProperty("kiln.native.minForkWork");
    Threads.setThreads(Runtime.getRuntime().availableProcessors());
  }

  @ParameterizedTest
  @CsvSource({"mlp,frozen", "cnn,frozen", "resnet_small,frozen", "mobilenet_v2,frozen", "squeezenet1_1,frozen", "lstm,frozen",
      "transformer,frozen", "controlflow,frozen", "views,scripted", "mlp_dynq,scripted"})
  void everyThreadCountGivesTheSameBits(String model, String flavour) throws Exception {
    System.setProperty("kiln.llvm.minSplitWork", "0");
    System.setProperty("kiln.native.minForkWork", "0");
    Fixture f = fixture(model, flavour);
    List<Object> one;
    try (LlvmCompiled c = LlvmBackend.compile(f.opt.graph(), f.used, LlvmOptions.defaults())) {
      one = c.instantiate(f.used, 1).run(f.inputs);
      close(model + " jit t1", f.want, one);
      for (int t : new int[] {2, 3}) same(model + " jit t" + t, one, c.instantiate(f.used, t).run(f.inputs));
    }
    KilnModel aot = artifact(model, f);
    for (int t : new int[] {1, 3}) {
      Threads.setThreads(t);
      same(model + " aot t" + t, one, new ArrayList<>(aot.run(f.inputs.stream().map(o -> (Tensor) o).toArray(Tensor[]::new))));
    }
  }

  /** Three callers, each running 2 threads per call, 20 calls each on one KilnModel: every call gives the lone result. */
  @Test
  void severalCallersWithTwoThreadsEach() throws Exception {
    Fixture f = fixture("resnet_small", "frozen");
    System.setProperty("kiln.llvm.minSplitWork", "0");
    System.setProperty("kiln.native.minForkWork", "0");
    KilnModel model = artifact("resnet_small-callers", f);
    Threads.setThreads(1);
    Tensor[] in = f.inputs.stream().map(o -> (Tensor) o).toArray(Tensor[]::new);
    List<Object> lone = new ArrayList<>(model.run(in));
    Threads.setThreads(2);
    ExecutorService callers = Executors.newFixedThreadPool(3);
    try {
      List<Future<List<Object>>> runs = new ArrayList<>();
      for (int c = 0; c < 3; c++)
        runs.add(callers.submit(() -> {
          List<Object> last = null;
          for (int r = 0; r < 20; r++) {
            List<Object> got = new ArrayList<>(model.run(in));
            same("concurrent call", lone, got);
            last = got;
          }
          return last;
        }));
      for (Future<List<Object>> r : runs) same("concurrent caller", lone, r.get());
    } finally {
      callers.shutdown();
    }
  }

  /** With the default thresholds (small kernels on thread 0, small segments not forked) the bits are the same too. */
  @Test
  void defaultThresholdsGiveTheSameBits() throws Exception {
    Fixture f = fixture("squeezenet1_1", "frozen");
    try (LlvmCompiled c = LlvmBackend.compile(f.opt.graph(), f.used, LlvmOptions.defaults())) {
      List<Object> one = c.instantiate(f.used, 1).run(f.inputs);
      close("squeezenet1_1 t1", f.want, one);
      same("squeezenet1_1 t2", one, c.instantiate(f.used, 2).run(f.inputs));
    }
  }

  private record Fixture(Program opt, Map<String, Tensor> used, List<Object> inputs, List<Object> want) {}

  private static Fixture fixture(String model, String flavour) throws Exception {
    Path pt = MODELS.resolve(model).resolve(flavour + ".pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    return new Fixture(opt, AotModelsTest.usedWeights(opt), List.of(input), want);
  }

  private KilnModel artifact(String name, Fixture f) throws Exception {
    AotModel aot = AotModelCompiler.compile(f.opt.graph(), f.used, LlvmOptions.defaults());
    Path file = dir.resolve(name + ".kiln");
    ArtifactWriter.writeNative(file, f.opt.graph(), f.used, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    return KilnModel.load(file);
  }

  private static void same(String what, List<Object> want, List<Object> got) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      if (!(want.get(i) instanceof Tensor w)) {
        assertEquals(want.get(i), got.get(i), what + " output " + i);
        continue;
      }
      Tensor g = (Tensor) got.get(i);
      assertArrayEquals(bytes(w), bytes(g), what + " output " + i + " differs from 1 thread (max |diff| " + g.maxAbsDiff(w) + ")");
    }
  }

  private static void close(String what, List<Object> want, List<Object> got) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      if (!(want.get(i) instanceof Tensor w)) continue;
      Tensor g = (Tensor) got.get(i);
      assertEquals(Arrays.toString(w.shape()), Arrays.toString(g.shape()), what + " output " + i);
      double scale = 1e-6;
      for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(g.allClose(w, 1e-4 * scale, 1e-4), what + " output " + i + ": max |diff| " + g.maxAbsDiff(w) + " vs scale " + scale);
    }
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
