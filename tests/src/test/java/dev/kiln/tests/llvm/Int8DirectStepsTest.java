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
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.nativelib.NativePlan;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LLVM executor's bound reference steps (runtime/nativelib {@code Int8Direct}, {@code CopyStep}): an int8
 * {@code q.linear_dynamic} step reads x in its storage and writes y into the output's storage in one downcall, and an
 * {@code nn.stack} reference call runs as copies between storages. The same program run with them
 * ({@code -Dkiln.native.int8Direct} unset) on 1 and 2 threads (every step forked) and from the AOT artifact gives
 * the same bytes as with the general path ({@code =false}: tensors, the interpreter for the stack, copies), and as
 * the interpreter (bit for bit, except the LSTM's f32 gates that LLVM's loops compute to rounding). The unrolled
 * LSTM's per-step linears (one reference graph each, equal but for the name) share one int8 node.
 */
@Tag("llvm")
class Int8DirectStepsTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"mlp_dynq, -, true", "lstm_dynq, -, false", "mlp, dynamic, true", "lstm, dynamic, false"})
  void boundStepsGiveTheGeneralPathsBits(String model, String quantize, boolean exact) throws Exception {
    Path models = QuantLlvmKernelsTest.MODELS;
    Tensor x = Npy.read(models.resolve(model).resolve("input.npy"));
    var m = TorchScriptImporter.importArchive(models.resolve(model).resolve("scripted.pt"), List.of(Type.tensor(x.dtype(), x.shape())));
    String pipeline = Pipelines.level(2);
    if (quantize.equals("dynamic")) pipeline = pipeline.replace(",fuse,", ",quantize=dynamic,fuse,");
    Program p = PassManager.parse(pipeline).run(Program.of(m.graph(), m.weights()));
    Map<String, Tensor> used = AotModelsTest.usedWeights(p);
    List<List<Object>> inputs = inputs(x, model);
    try (LlvmCompiled c = LlvmBackend.compile(p.graph(), used, new LlvmOptions("host", false))) {
      long int8Steps = c.plan().run().stream().filter(s -> s instanceof NativePlan.Step.Reference r && r.int8() != null).count();
      long stacks = c.plan().run().stream().filter(s -> s instanceof NativePlan.Step.Reference r && r.int8() == null
          && c.plan().program().references().get(r.call().ref()).contains("nn.stack")).count();
      assertTrue(int8Steps > 0, c.report());
      List<List<Object>> general = runAll(c, used, 1, "false", inputs, null);
      List<List<Object>> one = runAll(c, used, 1, null, inputs, new long[] {int8Steps, stacks});
      List<List<Object>> two = runAll(c, used, 2, null, inputs, new long[] {int8Steps, stacks});
      AotModel aot = AotModelCompiler.compile(p.graph(), used, new LlvmOptions("host", false));
      Path file = dir.resolve(model + ".kiln");
      ArtifactWriter.writeNative(file, p.graph(), used, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
      KilnModel loaded = KilnModel.load(file);
      Interpreter interp = new Interpreter(p.graph(), p.weights());
      for (int t = 0; t < inputs.size(); t++) {
        List<Tensor> fromArtifact = loaded.run(inputs.get(t).stream().map(o -> (Tensor) o).toArray(Tensor[]::new));
        List<Object> want = interp.run(inputs.get(t));
        for (int i = 0; i < want.size(); i++) {
          String at = model + " " + quantize + " output " + i + ", input " + t;
          byte[] g = bytes((Tensor) general.get(t).get(i));
          assertArrayEquals(g, bytes((Tensor) one.get(t).get(i)), at + ": bound steps vs the general path, 1 thread");
          assertArrayEquals(g, bytes((Tensor) two.get(t).get(i)), at + ": bound steps vs the general path, 2 threads");
          assertArrayEquals(g, bytes(fromArtifact.get(i)), at + ": AOT artifact");
          Tensor a = (Tensor) want.get(i), b = (Tensor) one.get(t).get(i);
          if (exact) assertArrayEquals(bytes(a), bytes(b), at + ": against the interpreter");
          else assertTrue(a.allClose(b, 1e-5, 1e-5), at + ": against the interpreter, max abs diff " + a.maxAbsDiff(b));
        }
      }
    }
  }

  /** Stacks on each dim (leading, middle, last by a negative index) of operands that are inputs and kernel results. */
  @Test
  void stacksRunAsCopies() {
    Graph g = IrParser.parse("""
        graph @stacks(%a: f32[2,3], %b: f32[2,3]) -> (f32[2,2,3], f32[2,3,3], f32[2,3,2]) {
          %ra = nn.relu(%a) : f32[2,3]
          %tb = nn.tanh(%b) : f32[2,3]
          %s0 = nn.stack(%ra, %tb) {dim=0} : f32[2,2,3]
          %s1 = nn.stack(%ra, %b, %tb) {dim=1} : f32[2,3,3]
          %s2 = nn.stack(%tb, %a) {dim=-1} : f32[2,3,2]
          return(%s0, %s1, %s2)
        }""", "stacks");
    Random r = new Random(5);
    List<Object> in = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      float[] v = new float[6];
      for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
      in.add(Tensor.fromFloats(v, 2, 3));
    }
    List<Object> want = new Interpreter(g, Map.of()).run(in);
    try (LlvmCompiled c = LlvmBackend.compile(g, new HashMap<>(), new LlvmOptions("host", false))) {
      long stacks = c.plan().run().stream().filter(s -> s instanceof NativePlan.Step.Reference).count();
      assertEquals(3, stacks, "each stack a reference call: " + c.report());
      List<Object> got = runAll(c, Map.of(), 1, null, List.of(in), new long[] {0, 3}).getFirst();
      List<Object> general = runAll(c, Map.of(), 1, "false", List.of(in), null).getFirst();
      for (int i = 0; i < want.size(); i++) {
        assertArrayEquals(bytes((Tensor) want.get(i)), bytes((Tensor) got.get(i)), "stack " + i + ": copies vs the interpreter");
        assertArrayEquals(bytes((Tensor) want.get(i)), bytes((Tensor) general.get(i)), "stack " + i + ": general path");
      }
    }
  }

  /**
   * A quantized tensor's flatten (resnet18's before its classifier) and reshape, object buffers, are bound as
   * reshapes of the operand's tensor ({@code ObjectReshape}) and give the interpreter's bytes.
   */
  @Test
  void quantizedReshapesAreBound() {
    Graph g = IrParser.parse("""
        graph @flat(%x: f32[2,4,3,3]) -> (f32[2,36], f32[6,12]) {
          %q = q.quantize_per_tensor(%x) {scale=0.02, zero_point=128, dtype=qu8} : qu8[2,4,3,3]{q=0.02:128}
          %f = nn.flatten(%q) {start_dim=1} : qu8[2,36]{q=0.02:128}
          %r = nn.reshape(%q) {shape=[6,12]} : qu8[6,12]{q=0.02:128}
          %d = q.dequantize(%f) : f32[2,36]
          %e = q.dequantize(%r) : f32[6,12]
          return(%d, %e)
        }""", "flat");
    Random r = new Random(9);
    float[] v = new float[72];
    for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
    List<Object> in = List.of(Tensor.fromFloats(v, 2, 4, 3, 3));
    List<Object> want = new Interpreter(g, Map.of()).run(in);
    try (LlvmCompiled c = LlvmBackend.compile(g, new HashMap<>(), new LlvmOptions("host", false))) {
      long reshapes = c.plan().run().stream().filter(s -> s instanceof NativePlan.Step.Reference rf && rf.int8() == null
          && c.plan().program().references().get(rf.call().ref()).matches("(?s).*nn\\.(flatten|reshape).*")).count();
      assertEquals(2, reshapes, "each reshape of a quantized tensor a reference call: " + c.report());
      List<Object> got = runAll(c, Map.of(), 1, null, List.of(in), new long[] {0, 2}).getFirst();
      List<Object> general = runAll(c, Map.of(), 1, "false", List.of(in), null).getFirst();
      for (int i = 0; i < want.size(); i++) {
        assertArrayEquals(bytes((Tensor) want.get(i)), bytes((Tensor) got.get(i)), "output " + i + ": bound vs the interpreter");
        assertArrayEquals(bytes((Tensor) want.get(i)), bytes((Tensor) general.get(i)), "output " + i + ": general path");
      }
    }
  }

  /**
   * Runs every input on a new instance with {@code kiln.native.int8Direct} set to {@code direct} (null: unset) and
   * every step forked; when {@code expect} is given ({int8 steps, stack steps}), checks the instance bound them all.
   */
  private static List<List<Object>> runAll(LlvmCompiled c, Map<String, Tensor> weights, int threads, String direct,
      List<List<Object>> inputs, long[] expect) {
    String old = System.getProperty("kiln.native.int8Direct"), fork = System.getProperty("kiln.native.minForkWork");
    if (direct == null) System.clearProperty("kiln.native.int8Direct");
    else System.setProperty("kiln.native.int8Direct", direct);
    System.setProperty("kiln.native.minForkWork", "0");
    try {
      CompiledModel inst = c.instantiate(weights, threads);
      List<List<Object>> out = new ArrayList<>();
      for (List<Object> in : inputs) out.add(inst.run(in));
      String described = inst.toString();
      Matcher mt = Pattern.compile("int8 direct (\\d+), copies (\\d+), general \\d+, int8 nodes (\\d+)").matcher(described);
      assertTrue(mt.find(), described);
      long graphs = c.plan().run().stream().filter(s -> s instanceof NativePlan.Step.Reference r && r.int8() != null)
          .mapToInt(s -> ((NativePlan.Step.Reference) s).call().ref()).distinct().count();
      if (expect != null) {
        assertEquals(expect[0], Long.parseLong(mt.group(1)), "int8 steps bound: " + described);
        assertEquals(expect[1], Long.parseLong(mt.group(2)), "stacks and reshapes bound: " + described);
        // the unrolled LSTM's per-step linears (one graph each, the same text but for its name) share one node
        if (expect[1] > 0 && expect[0] > 0) assertTrue(Long.parseLong(mt.group(3)) < graphs, "shared int8 nodes: " + described);
      } else {
        assertEquals("00", mt.group(1) + mt.group(2), "general path only: " + described);
        assertEquals(graphs, Long.parseLong(mt.group(3)), "no shared int8 node on the general path: " + described);
      }
      return out;
    } finally {
      restore("kiln.native.int8Direct", old);
      restore("kiln.native.minForkWork", fork);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) System.clearProperty(key);
    else System.setProperty(key, value);
  }

  /** The fixture input and two perturbed copies. */
  private static List<List<Object>> inputs(Tensor x, String model) {
    Random r = new Random(model.hashCode());
    float[] base = x.toFloatArray();
    List<List<Object>> out = new ArrayList<>();
    for (int trial = 0; trial < 3; trial++) {
      float[] v = base.clone();
      if (trial > 0) for (int i = 0; i < v.length; i++) v[i] += (float) (r.nextGaussian() * 0.3 * trial);
      out.add(List.of(Tensor.fromFloats(v, x.shape())));
    }
    return out;
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
