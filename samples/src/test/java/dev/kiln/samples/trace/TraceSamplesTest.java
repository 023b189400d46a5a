package dev.kiln.samples.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.trace.T;
import dev.kiln.frontend.weights.StateDicts;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tracing samples against PyTorch's outputs (fixtures from tests/fixtures/gen_trace.py). */
class TraceSamplesTest {
  @Test
  void tracedMlpMatchesPyTorch() {
    TraceSample.Result r = TraceSample.run(new Mlp(), TraceSample.dataDir("trace-mlp"), "mlp.pt", null);
    assertTrue(r.maxAbsDiff() < 1e-4, "max diff " + r.maxAbsDiff());
    assertTrue(r.traced().guards().isEmpty());
    String ir = r.traced().ir();
    assertTrue(ir.startsWith("graph @forward(%x: f32[N,8]) -> (f32[N,4])"), ir);
    assertTrue(ir.contains("const {name=\"body.2.weight\"} : f32[16,16]"), ir);
    assertEquals(6, r.traced().weights().size());
  }

  @Test
  void tracedCnnMatchesPyTorchAndKeepsTheBatchSymbolic() {
    TraceSample.Result r = TraceSample.run(new Cnn(), TraceSample.dataDir("trace-cnn"), "cnn.pt", null);
    assertTrue(r.maxAbsDiff() < 1e-4, "max diff " + r.maxAbsDiff());
    String ir = r.traced().ir();
    assertTrue(ir.startsWith("graph @forward(%x: f32[N,3,8,8]) -> (f32[N,5])"), ir);
    assertTrue(ir.contains("const {name=\"layer1.1.bn2.running_var\"} : f32[8]"), ir);
    // The graph holds for another batch size: one image alone gives what the eager model gives.
    Tensor one = Npy.read(TraceSample.dataDir("trace-cnn").resolve("input.npy")).slice(0, 1, 2, 1).contiguous();
    Tensor fromGraph = (Tensor) r.traced().run(one).get(0);
    assertArrayEquals(new long[] {1, 5}, fromGraph.shape());
    Cnn eager = new Cnn();
    StateDicts.load(eager, TraceSample.dataDir("trace-cnn").resolve("cnn.pt"));
    assertTrue(fromGraph.allClose(eager.forwardAll(List.of(T.of(one))).get(0).tensor(), 1e-5, 1e-5));
  }

  @Test
  void mainsRunFromTheirDataFolders() {
    TraceMlp.main(new String[0]);
    TraceCnn.main(new String[0]);
  }
}
