package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The frozen model fixtures compiled by the LLVM backend (JIT): imported with the fixture input's static shape,
 * optimized at -O2, lowered, emitted, compiled with ORC LLJIT and run on off-heap buffers; every output must match
 * the interpreter on the unoptimized graph within 1e-4 relative to its largest magnitude. Prints which kernel kinds
 * are native and which fall back, and the compile time.
 *
 * <p>With {@code -Dkiln.llvm.bench=true} it also prints the batch-1 latency against the JVM backend (median of 20
 * runs after warm-up); nothing is asserted about time.
 */
@Tag("llvm")
class LlvmModelsTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-4;

  @ParameterizedTest
  @CsvSource({"mlp", "cnn", "resnet_small", "mobilenet_v2", "squeezenet1_1"})
  void nativeModelMatchesTheInterpreter(String model) throws Exception {
    Path pt = MODELS.resolve(model).resolve("frozen.pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    try (LlvmCompiled compiled = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults())) {
      System.out.println("[llvm] " + model + " " + Arrays.toString(input.shape()) + ": " + compiled.report());
      CompiledModel native_ = compiled.instantiate(opt.weights());
      List<Object> got = native_.run(List.of(input));
      assertEquals(want.size(), got.size());
      for (int i = 0; i < want.size(); i++) {
        Tensor w = (Tensor) want.get(i), h = (Tensor) got.get(i);
        double scale = 1e-6;
        for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
        assertEquals(Arrays.toString(w.shape()), Arrays.toString(h.shape()), model + " output " + i);
        assertTrue(h.allClose(w, RTOL * scale, RTOL), model + " output " + i + ": max |diff| " + h.maxAbsDiff(w) + " vs scale " + scale);
      }
      // a second run on the same instance reuses its buffers: same result
      assertEquals(0.0, ((Tensor) native_.run(List.of(input)).get(0)).maxAbsDiff((Tensor) got.get(0)), model + " second run");
    }
    if (Boolean.getBoolean("kiln.llvm.bench")) bench(model, pt, input);
  }

  /** Batch 1 (the fixture's first item), both backends from the same -O2 graph. */
  private static void bench(String model, Path pt, Tensor batch) {
    long[] shape = batch.shape();
    long per = batch.numel() / shape[0];
    shape[0] = 1;
    Tensor input = Tensor.fromFloats(Arrays.copyOf(batch.toFloatArray(), (int) per), shape);
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), shape)));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    LlvmCompiled compiled = LlvmBackend.compile(opt.graph(), opt.weights(), LlvmOptions.defaults());
    CompiledModel llvm = compiled.instantiate(opt.weights());
    CompiledModel jvm = JvmBackend.compile(opt.graph(), opt.weights(), new JvmOptions("dev.kiln.gen.bench_" + model, false))
        .instantiate(opt.weights());
    double l = median(llvm, input), j = median(jvm, input);
    compiled.close();
    System.out.printf("[llvm-bench] %s batch 1: llvm %.3f ms, jvm %.3f ms (median of 20 after 200 warm-up runs)%n", model, l, j);
  }

  private static double median(CompiledModel m, Tensor input) {
    for (int i = 0; i < 200; i++) m.run(List.of(input));
    double[] t = new double[20];
    for (int i = 0; i < t.length; i++) {
      long s = System.nanoTime();
      m.run(List.of(input));
      t[i] = (System.nanoTime() - s) / 1e6;
    }
    Arrays.sort(t);
    return (t[9] + t[10]) / 2;
  }
}
