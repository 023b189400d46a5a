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
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
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
import dev.kiln.runtime.nativelib.NativePlan;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LLVM backend's AOT mode against its JIT and the interpreter: every small fixture model is imported at its
 * input's shape, optimized at -O2, compiled once by the JIT and once into a shared library written into a .kiln
 * artifact, which {@link KilnModel} loads (java.lang.foreign only) and runs. JIT and AOT run the same plan through the
 * same executor on code from the same module, so their outputs must be identical bit for bit; the artifact must
 * match the interpreter on the unoptimized graph within 1e-4 of each output's largest magnitude.
 */
@Tag("llvm")
class AotModelsTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-4;

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"mlp,frozen", "cnn,frozen", "resnet_small,frozen", "mobilenet_v2,frozen", "squeezenet1_1,frozen", "lstm,frozen",
      "transformer,frozen", "controlflow,frozen", "views,scripted", "mlp_dynq,scripted"})
  void anAotArtifactRunsBitForBitAsTheJit(String model, String flavour) throws Exception {
    Path pt = MODELS.resolve(model).resolve(flavour + ".pt");
    Assumptions.assumeTrue(Files.isRegularFile(pt), "no fixture " + pt);
    Tensor input = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(IrParser.parse(IrPrinter.print(m.graph()), model), m.weights()));
    check(model, opt, List.of(input), want, null);
  }

  /** A reference call and a JVM-fallback kernel (integer pow) travel in the plan and run from the artifact. */
  @Test
  void fallbackKernelsRunFromTheArtifact() throws Exception {
    String ir = """
        graph @g(%i: f32[3,4], %a: f32[3,5], %b: f32[5,4]) -> (f32[3,4], i64[3]) {
          %0 = nn.addmm(%i, %a, %b) {beta=0.5, alpha=2.0} : f32[3,4]
          %r = nn.relu(%0) : f32[3,4]
          %q = nn.to(%r) {dtype=i64} : i64[3,4]
          %p = nn.pow(%q, %q) : i64[3,4]
          %1 = nn.to(%p) {dtype=f32} : f32[3,4]
          %2 = nn.argmax(%1) {dim=1, keepdim=false} : i64[3]
          return(%1, %2)
        }""";
    Random rnd = new Random(7);
    List<Object> inputs = new ArrayList<>();
    Graph g = IrParser.parse(ir, "g");
    for (Value p : g.params()) {
      long[] s = p.tensorType().shape().sizes();
      float[] d = new float[(int) p.tensorType().shape().numel()];
      for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
      inputs.add(Tensor.fromFloats(d, s));
    }
    List<Object> want = new Interpreter(IrParser.parse(ir, "g"), Map.of()).run(inputs);
    AotModel aot = check("fallbacks", Program.of(g), inputs, want, null);
    List<NativePlan.Step> run = aot.plan().run();
    assertTrue(run.stream().anyMatch(s -> s instanceof NativePlan.Step.Java), aot.report());
    assertTrue(run.stream().anyMatch(s -> s instanceof NativePlan.Step.Reference), aot.report());
    assertTrue(run.stream().anyMatch(s -> s instanceof NativePlan.Step.Native), aot.report());
  }

  /**
   * Instances keep per-call buffers, so KilnModel pools them: threads running at once on different inputs each get
   * the result a lone call gives.
   */
  @Test
  void threadsShareOneLoadedModel() throws Exception {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4,16], %w: f32[16,8]) -> (f32[4,8]) {
          %0 = nn.matmul(%x, %w) : f32[4,8]
          %1 = nn.tanh(%0) : f32[4,8]
          return(%1)
        }""", "g");
    AotModel aot = AotModelCompiler.compile(g, Map.of(), LlvmOptions.defaults());
    Path file = dir.resolve("threads.kiln");
    ArtifactWriter.writeNative(file, g, Map.of(), "", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    KilnModel model = KilnModel.load(file);
    Random rnd = new Random(3);
    List<Tensor[]> inputs = new ArrayList<>();
    List<byte[]> alone = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      float[] x = new float[64], w = new float[128];
      for (int j = 0; j < x.length; j++) x[j] = (float) rnd.nextGaussian();
      for (int j = 0; j < w.length; j++) w[j] = (float) rnd.nextGaussian();
      Tensor[] in = {Tensor.fromFloats(x, 4, 16), Tensor.fromFloats(w, 16, 8)};
      inputs.add(in);
      alone.add(bytes(model.run(in).getFirst()));
    }
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Boolean>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++)
        done.add(pool.submit(() -> {
          for (int r = 0; r < 50; r++)
            for (int i = 0; i < inputs.size(); i++)
              if (!Arrays.equals(alone.get(i), bytes(model.run(inputs.get(i)).getFirst()))) return false;
          return true;
        }));
      for (var f : done) assertTrue(f.get(), "a concurrent call gave another result than a lone one");
    } finally {
      pool.shutdown();
    }
  }

  /** The portable target's artifact records that target's features (AVX2, no AVX-512) and still matches the JIT for it. */
  @Test
  void aPortableArtifactNamesItsTargetAndFeatures() throws Exception {
    Path pt = MODELS.resolve("cnn").resolve("frozen.pt");
    Tensor input = Npy.read(MODELS.resolve("cnn").resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(m.graph(), m.weights()).run(List.of(input));
    Program opt = PassManager.parse(Pipelines.level(2)).run(Program.of(m.graph(), m.weights()));
    AotModel aot = check("cnn-v3", opt, List.of(input), want, "x86-64-v3");
    assertEquals("x86-64-v3", aot.cpu());
    assertTrue(aot.features().containsAll(List.of("+avx", "+avx2", "+fma", "+sse4.2")), aot.features().toString());
    assertTrue(aot.features().stream().noneMatch(f -> f.startsWith("+avx512")), aot.features().toString());
  }

  /** JIT and AOT for {@code target} (null: host); returns the AOT model after checking both. */
  private AotModel check(String name, Program opt, List<Object> inputs, List<Object> want, String target) throws Exception {
    LlvmOptions opts = target == null ? LlvmOptions.defaults() : new LlvmOptions(target, false);
    Map<String, Tensor> used = usedWeights(opt);
    List<Object> jit;
    try (LlvmCompiled compiled = LlvmBackend.compile(opt.graph(), used, opts)) {
      jit = compiled.instantiate(used).run(inputs);
    }
    AotModel aot = AotModelCompiler.compile(opt.graph(), used, opts);
    System.out.println("[aot] " + name + ": " + aot.report() + "; library " + aot.library().length + " bytes");
    Path file = dir.resolve(name + ".kiln");
    ArtifactWriter.writeNative(file, opt.graph(), used, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    KilnModel model = KilnModel.load(file);
    assertEquals("llvm", model.manifest().backend());
    List<Tensor> got = model.run(inputs.stream().map(o -> (Tensor) o).toArray(Tensor[]::new));
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      Tensor w = (Tensor) want.get(i), j = (Tensor) jit.get(i), h = got.get(i);
      assertEquals(Arrays.toString(w.shape()), Arrays.toString(h.shape()), name + " output " + i);
      assertArrayEquals(bytes(j), bytes(h), name + " output " + i + ": JIT and AOT differ (max |diff| " + h.maxAbsDiff(j) + ")");
      double scale = 1e-6;
      for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(h.allClose(w, RTOL * scale, RTOL), name + " output " + i + ": max |diff| " + h.maxAbsDiff(w) + " vs scale " + scale);
    }
    return aot;
  }

  static Map<String, Tensor> usedWeights(Program p) {
    Map<String, Tensor> used = new TreeMap<>();
    for (Node n : p.graph().allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name")) used.put(n.attrStr("name"), p.weights().get(n.attrStr("name")));
    return used;
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
