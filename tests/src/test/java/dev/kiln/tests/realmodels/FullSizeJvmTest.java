package dev.kiln.tests.realmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JVM backend on the full-size models at -O2 (the code the bench times: implicit-GEMM and narrow conv tiles,
 * depthwise rows, temps kept between runs in a TempArena): its output must match the interpreter's on the same
 * optimized graph within 1e-4 (times the output's magnitude when above 1), for the fixture input and a second one;
 * and one instance called from 8 threads, 200 runs each, alternating the two inputs, must give the same bits as
 * the single-threaded runs (a run that read another run's temps, or stale values of its own, would not).
 */
@Tag("real-models")
class FullSizeJvmTest {
  static final double TOL = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1", "resnet18"})
  void jvmMatchesTheInterpreterAndIsThreadSafe(String model) throws Exception {
    var dir = FullSizeModels.require(model, "scripted.pt");
    var m = FullSizeModels.importStatic(dir, "scripted");
    Program out = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    Tensor x0 = Npy.read(dir.resolve("input.npy"));
    float[] second = x0.toFloatArray();
    for (int i = 0; i < second.length; i++) second[i] = 0.5f * second[i] + (i % 7 - 3) * 0.1f;
    Tensor x1 = Tensor.of(x0.dtype(), MemorySegment.ofArray(second), x0.shape());
    List<Tensor> inputs = List.of(x0, x1);

    Interpreter interp = new Interpreter(out.graph(), out.weights());
    CompiledModel jvm = JvmBackend.compile(out.graph(), out.weights(), JvmOptions.defaults()).instantiate(out.weights());
    List<float[]> want = new ArrayList<>();
    for (Tensor x : inputs) {
      float[] ref = ((Tensor) interp.run(List.of(x)).getFirst()).toFloatArray();
      float[] got = ((Tensor) jvm.run(List.of(x)).getFirst()).toFloatArray();
      double abs = 0, scale = 0;
      for (int i = 0; i < ref.length; i++) {
        abs = Math.max(abs, Math.abs((double) got[i] - ref[i]));
        if (Float.isNaN(got[i])) abs = Double.NaN;
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      assertTrue(abs <= TOL * Math.max(1, scale), model + ": JVM backend differs from the interpreter by " + abs + " (output magnitude " + scale + ")");
      want.add(got);
    }

    int threads = 8, runs = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          for (int r = 0; r < runs; r++) {
            int which = (first + r) % 2;
            float[] got = ((Tensor) jvm.run(List.of(inputs.get(which))).getFirst()).toFloatArray();
            assertArrayEquals(want.get(which), got, 0f, model + ": thread " + first + " run " + r + " differs from the single-threaded run");
          }
          return null;
        }));
      }
      for (Future<?> f : done) f.get();
    } finally {
      pool.shutdownNow();
    }
  }
}
