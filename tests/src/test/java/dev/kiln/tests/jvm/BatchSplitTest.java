package dev.kiln.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmCompiled;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JVM backend's batch split ({@code kiln.jvm.batchSplit}): a batch-separable CNN fixture imported at batch 2-4,
 * optimized (-O2), compiled into a per-sample class plus an entry class, written as a .kiln, loaded with
 * {@link KilnModel} and run on a batch must match the interpreter on the imported graph within 1e-4 of each output's
 * largest magnitude; models that are not separable, the off switch and the cost rule leave one class; four threads
 * sharing the loaded model give the same bits every run.
 */
class BatchSplitTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final String PROPERTY = "kiln.jvm.batchSplit";
  static final double RTOL = 1e-4;

  @TempDir Path dir;

  @AfterEach void clearProperty() { System.clearProperty(PROPERTY); }

  @ParameterizedTest
  @CsvSource({"cnn,scripted,2", "mobilenet_v2,frozen,3", "resnet_small,scripted,4", "squeezenet1_1,traced,2"})
  void aSplitModelMatchesTheInterpreterThroughAnArtifact(String model, String flavour, int batch) throws Exception {
    System.setProperty(PROPERTY, "always");
    Fixture f = Fixture.load(model, flavour, batch);
    Compiled c = compile(f, model);
    assertEquals(List.of("dev.kiln.gen.Split", "dev.kiln.gen.Split_PerSample"), c.jvm.classes().keySet().stream().sorted().toList());
    assertEquals(batch, c.jvm.warmupInputs().get(0).shape()[0], "warm-up runs the batch-N signature");
    List<Tensor> got = KilnModel.load(c.artifact).run(f.input);
    assertEquals(1, got.size());
    assertClose(f.expected(), got.get(0), model);
  }

  @ParameterizedTest
  @CsvSource({"transformer,scripted", "lstm,scripted"})
  void aModelThatIsNotSeparableIsNotSplit(String model, String flavour) throws Exception {
    System.setProperty(PROPERTY, "always");
    Tensor in = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    Fixture f = Fixture.load(model, flavour, in);
    Compiled c = compile(f, model);
    assertEquals(List.of("dev.kiln.gen.Split"), List.copyOf(c.jvm.classes().keySet()));
    Object want = new Interpreter(f.graph, f.weights).run(List.of(f.input)).get(0);
    Tensor got = KilnModel.load(c.artifact).run(f.input).get(0);
    if (want instanceof Tensor w) assertClose(w, got, model);
    else assertEquals(in.size(0), got.size(0), model + ": ran on the batch");
  }

  @Test
  void theOffSwitchCompilesTheBatchedGraph() throws Exception {
    System.setProperty(PROPERTY, "false");
    Fixture f = Fixture.load("cnn", "scripted", 4);
    Compiled c = compile(f, "cnn");
    assertEquals(List.of("dev.kiln.gen.Split"), List.copyOf(c.jvm.classes().keySet()));
    assertClose(f.expected(), KilnModel.load(c.artifact).run(f.input).get(0), "cnn");
  }

  /** By default a model whose weights outweigh one sample's activations (the small mobilenet_v2: 1.0 MB vs 0.9 MB) stays batched. */
  @Test
  void byDefaultOnlyModelsWithMoreActivationsThanWeightsAreSplit() throws Exception {
    assertEquals(1, compile(Fixture.load("mobilenet_v2", "frozen", 3), "mobilenet_v2").jvm.classes().size());
    assertEquals(2, compile(Fixture.load("cnn", "scripted", 4), "cnn").jvm.classes().size()); // 0.3 MB vs 0.1 MB
  }

  @Test
  void fourThreadsGetTheSameBitsEveryRun() throws Exception {
    System.setProperty(PROPERTY, "always");
    Fixture f = Fixture.load("cnn", "scripted", 4);
    Compiled c = compile(f, "cnn");
    assertEquals(2, c.jvm.classes().size());
    KilnModel m = KilnModel.load(c.artifact);
    float[] first = m.run(f.input).get(0).toFloatArray();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) runs.add(pool.submit(() -> {
        for (int i = 0; i < 100; i++) assertArrayEquals(first, m.run(f.input).get(0).toFloatArray(), "run " + i);
        return 100;
      }));
      for (Future<Integer> r : runs) assertEquals(100, r.get());
    } finally {
      pool.shutdownNow();
    }
  }

  /** An imported fixture at some batch, its input and the interpreter's output on the unoptimized graph. */
  record Fixture(Graph graph, Map<String, Tensor> weights, Tensor input) {
    /** The fixture imported at {@code batch} copies of its per-sample input shape, with a seeded random input. */
    static Fixture load(String model, String flavour, int batch) throws Exception {
      long[] shape = Npy.read(MODELS.resolve(model).resolve("input.npy")).shape();
      shape[0] = batch;
      Random r = new Random(batch * 31L + model.hashCode());
      float[] x = new float[(int) Tensor.numel(shape)];
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      return load(model, flavour, Tensor.fromFloats(x, shape));
    }

    static Fixture load(String model, String flavour, Tensor input) throws Exception {
      var m = TorchScriptImporter.importArchive(MODELS.resolve(model).resolve(flavour + ".pt"), List.of(Type.tensor(input.dtype(), input.shape())));
      return new Fixture(m.graph(), m.weights(), input);
    }

    Tensor expected() { return (Tensor) new Interpreter(graph, weights).run(List.of(input)).get(0); }
  }

  record Compiled(JvmCompiled jvm, Path artifact) {}

  /** What {@code kiln compile --backend jvm -O2} does (the CLI is not a dependency of this module). */
  private Compiled compile(Fixture f, String name) throws Exception {
    Graph copy = IrParser.parse(IrPrinter.print(f.graph), f.graph.name()); // passes rewrite in place
    String pipeline = Pipelines.level(2);
    Program p = PassManager.parse(pipeline).run(Program.of(copy, f.weights));
    Map<String, Tensor> used = new TreeMap<>();
    for (Node n : p.graph().allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name")) used.put(n.attrStr("name"), p.weights().get(n.attrStr("name")));
    JvmCompiled jc = JvmBackend.compile(p.graph(), used, new JvmOptions("dev.kiln.gen.Split", true));
    Path out = dir.resolve(name + ".kiln");
    ArtifactWriter.write(out, p.graph(), used, "jvm", pipeline, jc.entryClass(), jc.classes());
    return new Compiled(jc, out);
  }

  private static void assertClose(Tensor want, Tensor got, String what) {
    assertArrayEquals(want.shape(), got.shape(), what + " shape");
    double scale = 1e-6;
    for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
    assertTrue(got.allClose(want, RTOL * scale, RTOL), what + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
    assertTrue(scale > 1e-5, what + ": the reference output is all zeros");
  }
}
