package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Interpreter before == interpreter after, for every pass and level, on graphs built for the purpose. */
class PassNumericsTest {
  /** Two conv-bn-relu blocks with random BN statistics, a per-channel mul/add, pooling and a linear + bn head. */
  static final String CNN = """
      graph @cnn(%x: f32[N,3,8,8]) -> (f32[N,10]) {
        %w1 = const {name="conv1.weight"} : f32[8,3,3,3]
        %b1 = const {name="conv1.bias"} : f32[8]
        %m1 = const {name="bn1.mean"} : f32[8]
        %v1 = const {name="bn1.var"} : f32[8]
        %g1 = const {name="bn1.weight"} : f32[8]
        %be1 = const {name="bn1.bias"} : f32[8]
        %c1 = nn.conv2d(%x, %w1, %b1) {padding=[1,1]} : f32[N,8,8,8]
        %n1 = nn.batch_norm(%c1, %m1, %v1, %g1, %be1) {eps=1.0E-5} : f32[N,8,8,8]
        %r1 = nn.relu(%n1) : f32[N,8,8,8]
        %w2 = const {name="conv2.weight"} : f32[8,4,3,3]
        %m2 = const {name="bn2.mean"} : f32[8]
        %v2 = const {name="bn2.var"} : f32[8]
        %c2 = nn.conv2d(%r1, %w2) {stride=[2,2], padding=[1,1], groups=2} : f32[N,8,4,4]
        %n2 = nn.batch_norm(%c2, %m2, %v2) {eps=0.001} : f32[N,8,4,4]
        %s = const {name="scale"} : f32[8,1,1]
        %mu = nn.mul(%n2, %s) : f32[N,8,4,4]
        %sh = const {name="shift"} : f32[1,8,1,1]
        %ad = nn.add(%mu, %sh) : f32[N,8,4,4]
        %r2 = nn.relu(%ad) : f32[N,8,4,4]
        %p = nn.adaptive_avg_pool2d(%r2) {output_size=[1,1]} : f32[N,8,1,1]
        %f = nn.flatten(%p) {start_dim=1} : f32[N,8]
        %d = nn.dropout(%f) : f32[N,8]
        %fw = const {name="fc.weight"} : f32[10,8]
        %fb = const {name="fc.bias"} : f32[10]
        %l = nn.linear(%d, %fw, %fb) : f32[N,10]
        %m3 = const {name="bn3.mean"} : f32[10]
        %v3 = const {name="bn3.var"} : f32[10]
        %g3 = const {name="bn3.weight"} : f32[10]
        %be3 = const {name="bn3.bias"} : f32[10]
        %y = nn.batch_norm(%l, %m3, %v3, %g3, %be3) : f32[N,10]
        return(%y)
      }
      """;

  /** An MLP written the way TorchScript imports it: sizes, tuples, lists, a known if, identities, duplicates. */
  static final String MLP = """
      graph @mlp(%x: f32[N,4,4]) -> (f32[?,8], int) {
        %n = prim.size(%x) {dim=0} : int
        %c = prim.size(%x) {dim=1} : int
        %h = prim.size(%x) {dim=2} : int
        %f = prim.mul(%c, %h) : int
        %t = prim.tuple(%n, %f) : tuple<int,int>
        %a, %b = prim.unpack(%t) : (int, int)
        %sh = prim.list(%a, %b) : list<int>
        %x2 = nn.reshape(%x, %sh) : f32[*]
        %x3 = nn.reshape(%x2) {shape=[-1,16]} : f32[?,16]
        %w1 = const {name="fc1.weight"} : f32[32,16]
        %b1 = const {name="fc1.bias"} : f32[32]
        %h1 = nn.linear(%x3, %w1, %b1) : f32[?,32]
        %one = const {value=1.0} : float
        %h2 = nn.mul(%h1, %one) : f32[?,32]
        %r1 = nn.relu(%h2) : f32[?,32]
        %r1b = nn.relu(%h2) : f32[?,32]
        %sum = nn.add(%r1, %r1b) : f32[?,32]
        %k = const {value=2} : int
        %big = prim.gt(%k, %c) : bool
        %o = if(%big) : f32[?,32] {
          %e = nn.exp(%sum) : f32[?,32]
          yield(%e)
        } {
          %th = nn.tanh(%sum) : f32[?,32]
          yield(%th)
        }
        %w2 = const {name="fc2.weight"} : f32[8,32]
        %y = nn.linear(%o, %w2) : f32[?,8]
        %tt = nn.transpose(%y) {dim0=0, dim1=1} : f32[8,?]
        %tt2 = nn.transpose(%tt) {dim0=1, dim1=0} : f32[?,8]
        %out = nn.contiguous(%tt2) : f32[?,8]
        return(%out, %f)
      }
      """;

  private static void check(String text, String pipeline, long seed) {
    Graph g = IrParser.parse(text, "test");
    Map<String, Tensor> w = NumericCheck.randomWeights(g, seed);
    for (long n : new long[] {1, 3}) {
      List<Object> in = NumericCheck.randomInputs(g, Map.of("N", n), seed + n);
      NumericCheck.assertPreserved(g, w, pipeline, in);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"fold", "cse", "dce", "shapes", "fold-bn", "fold,cse,dce", "shapes,fold,cse,dce,shapes",
      "shapes,fold,cse,dce,shapes,fold-bn,fold,dce"})
  void cnnKeepsItsOutputs(String pipeline) { check(CNN, pipeline, 11); }

  @ParameterizedTest
  @ValueSource(strings = {"fold", "cse", "dce", "shapes", "fold-bn", "shapes,fold,cse,dce,shapes",
      "shapes,fold,cse,dce,shapes,fold-bn,fold,dce"})
  void mlpKeepsItsOutputs(String pipeline) { check(MLP, pipeline, 5); }

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void levelsKeepOutputsAndShrinkTheGraphs(int level) {
    for (String text : List.of(CNN, MLP)) {
      Graph g = IrParser.parse(text, "test");
      int before = g.allNodes().size();
      Map<String, Tensor> w = NumericCheck.randomWeights(g, 3);
      Program out = NumericCheck.assertPreserved(g, w, Pipelines.level(level), NumericCheck.randomInputs(g, Map.of("N", 2L), 4));
      assertTrue(out.graph().allNodes().size() < before, "-O" + level + " on @" + g.name() + " removed nothing");
    }
  }

  @org.junit.jupiter.api.Test
  void foldBnRemovesEveryBatchNormAndMulAddOfTheCnn() {
    Graph g = IrParser.parse(CNN, "test");
    Map<String, Tensor> w = NumericCheck.randomWeights(g, 7);
    Program out = NumericCheck.assertPreserved(g, w, "fold-bn,dce", NumericCheck.randomInputs(g, Map.of("N", 2L), 8));
    assertEquals(0, NumericCheck.count(out.graph(), "nn.batch_norm"));
    assertEquals(0, NumericCheck.count(out.graph(), "nn.mul"));
    assertEquals(0, NumericCheck.count(out.graph(), "nn.add"));
    assertTrue(out.weights().containsKey("conv1.weight.folded"), out.weights().keySet().toString());
    assertTrue(w.get("conv1.weight") == out.weights().get("conv1.weight"), "the original weight is left as it was");
  }

  @org.junit.jupiter.api.Test
  void specializeThenFoldKeepsOutputsForTheBoundBatch() {
    Graph g = IrParser.parse(MLP, "test");
    Map<String, Tensor> w = NumericCheck.randomWeights(g, 9);
    Program out = NumericCheck.assertPreserved(g, w, "specialize=N:3,fold,cse,dce", NumericCheck.randomInputs(g, Map.of("N", 3L), 10));
    assertEquals(0, NumericCheck.count(out.graph(), "prim.size"), "every size is static once N is bound");
    assertEquals(0, NumericCheck.count(out.graph(), "if"));
  }
}
