package dev.kiln.frontend.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.trace.nn.AdaptiveAvgPool2d;
import dev.kiln.frontend.trace.nn.BatchNorm2d;
import dev.kiln.frontend.trace.nn.Conv2d;
import dev.kiln.frontend.trace.nn.Embedding;
import dev.kiln.frontend.trace.nn.Flatten;
import dev.kiln.frontend.trace.nn.LSTM;
import dev.kiln.frontend.trace.nn.LayerNorm;
import dev.kiln.frontend.trace.nn.Linear;
import dev.kiln.frontend.trace.nn.MaxPool2d;
import dev.kiln.frontend.trace.nn.MultiheadAttention;
import dev.kiln.frontend.trace.nn.ReLU;
import dev.kiln.frontend.trace.nn.Sequential;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Traced graphs run by the interpreter give what the eager Java model gives, for a symbolic batch too. */
class TracerTest {
  @BeforeEach
  void seed() { Module.manualSeed(7); }

  static Tensor randn(long seed, long... shape) {
    Random r = new Random(seed);
    float[] f = new float[Math.toIntExact(Tensor.numel(shape))];
    for (int i = 0; i < f.length; i++) f[i] = (float) r.nextGaussian();
    return Tensor.wrapFloats(f, shape);
  }

  /** Traces on {@code example} with a symbolic batch, then checks graph == eager on it and on {@code other}. */
  static TracedModel checkTracedEqualsEager(Module m, Tensor example, Tensor other) {
    TracedModel t = Tracer.trace(m, List.of(example), TraceOptions.defaults().withSymbolicDim(0, 0, "N"));
    Interpreter interp = t.interpreter();
    for (Tensor x : List.of(example, other)) {
      List<Object> got = interp.run(List.of(x));
      List<T> want = m.forwardAll(List.of(T.of(x)));
      assertEquals(want.size(), got.size());
      for (int i = 0; i < got.size(); i++) {
        Tensor g = (Tensor) got.get(i), w = want.get(i).tensor();
        assertArrayEquals(w.shape(), g.shape(), "result " + i);
        assertTrue(g.allClose(w, 1e-6, 1e-6), "result " + i + " differs by " + g.maxAbsDiff(w) + "\n" + t.ir());
      }
    }
    // The printed graph parses back to the same text.
    Graph back = IrParser.parse(t.ir(), "traced");
    assertEquals(t.ir(), IrPrinter.print(back));
    assertTrue(t.guards().isEmpty(), t.guardReport());
    return t;
  }

  @Test
  void mlp() {
    Module m = new Sequential(new Linear(5, 7), new ReLU(), new Linear(7, 3));
    TracedModel t = checkTracedEqualsEager(m, randn(1, 4, 5), randn(2, 9, 5));
    assertTrue(t.ir().startsWith("graph @forward(%x: f32[N,5]) -> (f32[N,3]) {"), t.ir());
    assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(m.namedParameters().keySet()));
    assertEquals(m.namedParameters().keySet(), t.weights().keySet());
  }

  @Test
  void cnnWithEvalBatchNorm() {
    BatchNorm2d bn = new BatchNorm2d(4);
    bn.runningMean.set(randn(3, 4));
    bn.runningVar.set(Tensor.fromFloats(new float[] {0.5f, 1.5f, 2f, 0.25f}, 4));
    Module m = new Sequential(new Conv2d(3, 4, 3, 1, 1, 1, 1, true), bn, new ReLU(), new MaxPool2d(2),
        new AdaptiveAvgPool2d(1, 1), new Flatten(), new Linear(4, 2));
    TracedModel t = checkTracedEqualsEager(m, randn(4, 2, 3, 6, 6), randn(5, 3, 3, 6, 6));
    assertTrue(t.ir().contains("nn.batch_norm"), t.ir());
    assertTrue(t.ir().contains(": f32[N,4,3,3]"), t.ir());
  }

  @Test
  void lstmKeepsTheBatchSymbolic() {
    LSTM lstm = new LSTM(4, 6, 2, true);
    TracedModel t = checkTracedEqualsEager(lstm, randn(6, 3, 5, 4), randn(7, 1, 5, 4));
    assertTrue(t.ir().contains("nn.lstm("), t.ir());
    assertTrue(t.ir().contains("-> (f32[N,5,6], f32[2,N,6], f32[2,N,6])"), t.ir());
    assertTrue(lstm.namedParameters().containsKey("weight_hh_l1"));
  }

  @Test
  void multiheadAttention() {
    MultiheadAttention mha = new MultiheadAttention(8, 2);
    TracedModel t = checkTracedEqualsEager(mha, randn(8, 2, 5, 8), randn(9, 4, 5, 8));
    assertTrue(t.ir().contains("nn.attention("), t.ir());
    assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
        new ArrayList<>(mha.namedParameters().keySet()));
  }

  @Test
  void embeddingAndLayerNormOverIntegerInput() {
    Module m = new Module() {
      final Embedding emb = child("emb", new Embedding(10, 6));
      final LayerNorm norm = child("norm", new LayerNorm(6));

      @Override public T forward(T idx) { return norm.forward(emb.forward(idx)).mean(1); }
    };
    Tensor idx = Tensor.fromLongs(new long[] {1, 2, 3, 9, 0, 4}, 2, 3);
    Tensor other = Tensor.fromLongs(new long[] {5, 5, 5}, 1, 3);
    TracedModel t = checkTracedEqualsEager(m, idx, other);
    assertTrue(t.ir().startsWith("graph @forward(%x: i64[N,3]) -> (f32[N,6])"), t.ir());
  }

  @Test
  void tensorOpsWithNumbersAndCapturedConstants() {
    Tensor bias = randn(10, 3);
    Module m = new Module() {
      @Override public T forward(T x) {
        T y = x.mul(2.0).sub(1.0).div(x.abs().add(1.0)).add(T.of(bias));
        T z = T.cat(List.of(y, y.neg()), 1).softmax(-1);
        return z.slice(1, 1, 5).transpose(0, 1).reshape(-1).unsqueeze(0).sum(true, 1);
      }
    };
    TracedModel t = Tracer.trace(m, List.of(randn(11, 2, 3)));
    assertEquals(Map.of("_const.0", bias), t.weights());
    Tensor x = randn(11, 2, 3);
    assertTrue(((Tensor) t.run(x).get(0)).allClose(m.forward(T.of(x)).tensor(), 1e-6, 1e-6));
    assertTrue(t.ir().contains("const {value=2.0} : float"), t.ir());
  }

  @Test
  void movementIndexingAndMatmulTraceLikeTheyRun() {
    Tensor idx = Tensor.fromLongs(new long[] {2, 0, 2}, 3);
    Module m = new Module() {
      @Override public List<T> forwardAll(List<T> in) {
        T a = in.get(0), b = in.get(1);
        T p = a.permute(0, 2, 1).matmul(b);                 // [N,3,4] @ [4,2] -> [N,3,2]
        List<T> halves = p.chunk(2, 2);
        T s = T.stack(List.of(halves.get(0), halves.get(1)), 0).select(0, 1).view(-1, 3);
        T picked = a.indexSelect(1, T.of(idx)).select(2, 0);   // [N,3]
        T mask = picked.gt(0.0);
        return List.of(mask.where(picked, s.mul(-1.0)), a.transpose(1, 2).index(T.of(Tensor.fromLongs(new long[] {1, 0, 1}, 3))));
      }
    };
    Tensor a = randn(20, 2, 4, 3), b = randn(21, 4, 2);
    TracedModel t = Tracer.trace(m, List.of(a, b), TraceOptions.defaults().withInputNames("a", "b"));
    assertTrue(t.ir().startsWith("graph @forward(%a: f32[2,4,3], %b: f32[4,2]) -> (f32[2,3], f32[3,3,4])"), t.ir());
    List<Object> got = t.run(a, b);
    List<T> want = m.forwardAll(List.of(T.of(a), T.of(b)));
    for (int i = 0; i < 2; i++) assertTrue(((Tensor) got.get(i)).allClose(want.get(i).tensor(), 0, 0), "result " + i);
  }
}
