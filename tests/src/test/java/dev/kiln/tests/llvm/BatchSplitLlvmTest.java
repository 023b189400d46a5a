package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmBatchSplit;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.passes.analysis.PerSampleGraph;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LLVM backend's batch split ({@link LlvmBatchSplit}) on a small batch-separable CNN at batch 4 (optimized at
 * -O2): split, unsplit and the interpreter agree within 1e-4; the split model's bits are those of each sample run
 * alone through the compiled batch-1 graph, on one thread and with the samples on two lanes; the AOT artifact loaded by {@link KilnModel} gives the JIT's bits; the
 * cost rule splits this net (activations outweigh weights) and not a weight-heavy one unless {@code always}; a graph
 * mixing samples is never split; a symbolic batch compiles to a plan that runs any batch; a wrong input shape is
 * refused naming the input.
 */
@Tag("llvm")
class BatchSplitLlvmTest {
  static final String CNN = """
      graph @cnn(%x: f32[B,3,8,8]) -> (f32[B,5]) {
        %w = const {name="w"} : f32[4,3,3,3]
        %b = const {name="b"} : f32[4]
        %fw = const {name="fw"} : f32[5,4]
        %fb = const {name="fb"} : f32[5]
        %s = const {name="s"} : f32[4,1,1]
        %0 = nn.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1]} : f32[B,4,8,8]
        %1 = nn.hardtanh(%0) {min_val=0.0, max_val=6.0} : f32[B,4,8,8]
        %2 = nn.mul(%1, %s) : f32[B,4,8,8]
        %3 = nn.add(%2, %0) {alpha=1} : f32[B,4,8,8]
        %4 = nn.max_pool2d(%3) {kernel_size=[2,2], stride=[2,2]} : f32[B,4,4,4]
        %5 = nn.adaptive_avg_pool2d(%4) {output_size=[1,1]} : f32[B,4,1,1]
        %6 = nn.flatten(%5) {start_dim=1} : f32[B,4]
        %7 = nn.linear(%6, %fw, %fb) : f32[B,5]
        %8 = nn.softmax(%7) {dim=SOFTMAX_DIM} : f32[B,5]
        return(%8)
      }
      """;

  @TempDir Path dir;

  @AfterEach void clear() { System.clearProperty(LlvmBatchSplit.PROPERTY); }

  static Graph cnn(String batch, int softmaxDim) {
    return IrParser.parse(CNN.replace("B", batch).replace("SOFTMAX_DIM", Integer.toString(softmaxDim)), "cnn");
  }

  static Map<String, Tensor> weights(Graph g, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> w = new TreeMap<>();
    for (var n : g.body().nodes())
      if (n.op().name().equals("const")) w.put(n.attrStr("name"), random(r, ((TensorType) n.result().type()).shape().sizes()));
    return w;
  }

  static Program optimize(Graph g, Map<String, Tensor> w) { return PassManager.parse(Pipelines.level(2)).run(Program.of(g, w)); }

  /** Compiles {@code g} (-O2) under the switch {@code mode}; the caller closes it. */
  static LlvmCompiled compile(Graph g, Map<String, Tensor> w, String mode) {
    System.setProperty(LlvmBatchSplit.PROPERTY, mode);
    Program p = optimize(g, w);
    return LlvmBackend.compile(p.graph(), p.weights(), LlvmOptions.defaults());
  }

  @Test
  void theSplitModelIsEachSampleThroughTheBatchOneModel() {
    Graph g = cnn("4", -1);
    Map<String, Tensor> w = weights(g, 1);
    Tensor x = random(new Random(2), 4, 3, 8, 8);
    Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
    try (LlvmCompiled split = compile(cnn("4", -1), w, "true"); LlvmCompiled whole = compile(cnn("4", -1), w, "false");
        LlvmCompiled one = compile(PerSampleGraph.of(cnn("4", -1)), w, "false")) {
      assertEquals(4, split.plan().batch(), "the cost rule splits a net whose activations outweigh its weights: " + split.report());
      assertTrue(split.report().contains("batch split (4 samples per call"), split.report());
      assertEquals(1, whole.plan().batch());
      assertEquals(1, one.plan().batch());
      Tensor s = (Tensor) split.instantiate(w, 1).run(List.of(x)).getFirst(), u = (Tensor) whole.instantiate(w).run(List.of(x)).getFirst();
      assertEquals("[4, 5]", java.util.Arrays.toString(s.shape()));
      assertTrue(s.allClose(want, 1e-4, 1e-4), "split vs interpreter: max |diff| " + s.maxAbsDiff(want));
      assertTrue(u.allClose(want, 1e-4, 1e-4), "unsplit vs interpreter: max |diff| " + u.maxAbsDiff(want));
      System.setProperty("kiln.native.minForkWork", "0"); // samples on two lanes even for this small net
      try {
        byte[] lanes = bytes((Tensor) split.instantiate(w, 2).run(List.of(x)).getFirst());
        assertArrayEquals(bytes(s), lanes, "samples on two threads (lanes) vs one");
      } finally {
        System.clearProperty("kiln.native.minForkWork");
      }
      CompiledModel single = one.instantiate(w);
      float[] rows = s.toFloatArray(), all = x.toFloatArray();
      int per = 3 * 8 * 8;
      for (int i = 0; i < 4; i++) {
        Tensor xi = Tensor.fromFloats(java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per), 1, 3, 8, 8);
        float[] alone = ((Tensor) single.run(List.of(xi)).getFirst()).toFloatArray();
        assertArrayEquals(alone, java.util.Arrays.copyOfRange(rows, i * 5, (i + 1) * 5), "sample " + i);
      }
    }
  }

  @Test
  void theAotArtifactSplitsAsTheJitDoes() throws Exception {
    Graph g = cnn("4", -1);
    Map<String, Tensor> w = weights(g, 3);
    Tensor x = random(new Random(4), 4, 3, 8, 8);
    System.setProperty(LlvmBatchSplit.PROPERTY, "true");
    Program p = optimize(g, w);
    AotModel aot = AotModelCompiler.compile(p.graph(), p.weights(), LlvmOptions.defaults());
    assertEquals(4, aot.plan().batch(), aot.report());
    assertTrue(aot.planJson().contains("\"batch\": 4"), "plan.json carries the batch");
    Path file = dir.resolve("cnn.kiln");
    ArtifactWriter.writeNative(file, p.graph(), p.weights(), "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    KilnModel loaded = KilnModel.load(file);
    assertEquals("f32[4,3,8,8]", loaded.signature().inputs().getFirst().type().text());
    try (LlvmCompiled jit = compile(cnn("4", -1), w, "true")) {
      byte[] want = bytes((Tensor) jit.instantiate(w).run(List.of(x)).getFirst());
      assertArrayEquals(want, bytes(loaded.run(x).getFirst()), "AOT artifact vs JIT");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loaded.run(random(new Random(5), 3, 3, 8, 8)));
    assertTrue(e.getMessage().startsWith("input \"x\": expected f32[4,3,8,8], got f32[3,3,8,8]"), e.getMessage());
  }

  @Test
  void aWeightHeavyNetSplitsOnlyWhenAskedAlways() {
    String ir = """
        graph @mlp(%x: f32[4,64]) -> (f32[4,64]) {
          %w = const {name="w"} : f32[64,64]
          %0 = nn.linear(%x, %w) : f32[4,64]
          %1 = nn.relu(%0) : f32[4,64]
          return(%1)
        }
        """;
    Graph g = IrParser.parse(ir, "mlp");
    Map<String, Tensor> w = weights(g, 6);
    Tensor x = random(new Random(7), 4, 64);
    Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
    try (LlvmCompiled rule = compile(IrParser.parse(ir, "mlp"), w, "true"); LlvmCompiled always = compile(IrParser.parse(ir, "mlp"), w, "always")) {
      assertEquals(1, rule.plan().batch(), "16 KB of weights, 512 B of activations per sample: not split");
      assertEquals(4, always.plan().batch());
      for (LlvmCompiled c : List.of(rule, always)) {
        Tensor got = (Tensor) c.instantiate(w).run(List.of(x)).getFirst();
        assertTrue(got.allClose(want, 1e-4, 1e-4), c.report() + ": max |diff| " + got.maxAbsDiff(want));
      }
    }
  }

  @Test
  void aGraphMixingSamplesIsNotSplit() {
    Graph g = cnn("4", 0); // softmax over the batch
    Map<String, Tensor> w = weights(g, 8);
    Tensor x = random(new Random(9), 4, 3, 8, 8);
    Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
    try (LlvmCompiled c = compile(cnn("4", 0), w, "always")) {
      assertEquals(1, c.plan().batch(), c.report());
      Tensor got = (Tensor) c.instantiate(w).run(List.of(x)).getFirst();
      assertTrue(got.allClose(want, 1e-4, 1e-4), "max |diff| " + got.maxAbsDiff(want));
    }
  }

  @Test
  void aSymbolicBatchRunsAnyBatchAndWrongShapesAreRefused() {
    Graph g = cnn("N", -1);
    Map<String, Tensor> w = weights(g, 10);
    try (LlvmCompiled c = compile(cnn("N", -1), w, "true")) {
      assertEquals(0, c.plan().batch(), c.report());
      CompiledModel m = c.instantiate(w);
      for (int n : new int[] {1, 3, 5}) {
        Tensor x = random(new Random(n), n, 3, 8, 8);
        Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
        Tensor got = (Tensor) m.run(List.of(x)).getFirst();
        assertEquals(n, got.size(0));
        assertTrue(got.allClose(want, 1e-4, 1e-4), "batch " + n + ": max |diff| " + got.maxAbsDiff(want));
      }
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.run(List.of(random(new Random(1), 2, 3, 8, 9))));
      assertEquals("input 0 (buffer %x, N samples of f32[1,3,8,8]): expected a tensor of [2,3,8,8], got [2,3,8,9] (the batch is 2 from input 0)",
          e.getMessage());
    }
  }

  static Tensor random(Random r, long... shape) {
    float[] a = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
    return Tensor.fromFloats(a, shape);
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
