package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.exec.FirstCallWarmup;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link JvmCompiled#instantiate} warms a model up on made-up inputs of its own input shapes: the inputs fit the
 * generated class (so the warm-up really runs it rather than stopping at the first call), and warming up leaves no
 * trace in the outputs.
 */
class ModelWarmupTest {
  static final String IR = """
      graph @g(%x: f32[3,8], %ids: i64[3]) -> (f32[3,5], i64[3]) {
        %w = const {name="w"} : f32[5,8]
        %b = const {name="b"} : f32[5]
        %0 = nn.linear(%x, %w, %b) : f32[3,5]
        %1 = nn.relu(%0) : f32[3,5]
        return(%1, %ids)
      }""";

  @Test
  void warmUpInputsAreTheProgramsInputsAndTheModelRunsOnThem() {
    Random r = new Random(3);
    Map<String, Tensor> weights = Map.of("w", PackedWeightsTest.random(r, 5, 8), "b", PackedWeightsTest.random(r, 5));
    Graph opt = PassManager.parse("fuse").run(Program.of(IrParser.parse(IR, "warm"))).graph();
    JvmCompiled c = JvmBackend.compile(opt, weights, new JvmOptions("dev.kiln.gen.Warm", true));
    List<ModelWarmup.Input> in = c.warmupInputs();
    assertEquals(2, in.size());
    assertEquals(DType.F32, in.get(0).dtype());
    assertArrayEquals(new long[] {3, 8}, in.get(0).shape());
    assertEquals(DType.I64, in.get(1).dtype());
    assertArrayEquals(new long[] {3}, in.get(1).shape());

    CompiledModel warmed = c.instantiate(weights);
    // Every warm-up run completes: a model that threw on the made-up inputs would stop after at most one.
    List<Object> sample = new ArrayList<>();
    for (ModelWarmup.Input i : in) sample.add(FirstCallWarmup.sample(i.dtype(), i.shape()));
    assertEquals(2, warmed.run(sample).size());
    if (FirstCallWarmup.ON) assertTrue(ModelWarmup.run(warmed, in) > 1, "warm-up went past its first run");

    // Same outputs, bit for bit, as an instance that was never warmed up (no warm-up inputs), and as the interpreter.
    CompiledModel cold = new JvmCompiled(c.entryClass(), c.classes()).instantiate(weights);
    Tensor x = PackedWeightsTest.random(r, 3, 8);
    Tensor ids = Tensor.fromLongs(new long[] {2, 0, 1}, 3);
    List<Object> args = List.of(x, ids);
    Tensor want = (Tensor) new Interpreter(IrParser.parse(IR, "warm"), weights).run(args).get(0);
    float[] got = ((Tensor) warmed.run(args).get(0)).toFloatArray();
    assertArrayEquals(((Tensor) cold.run(args).get(0)).toFloatArray(), got);
    float[] ref = want.toFloatArray();
    for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-5f, "element " + i);
    assertArrayEquals(new long[] {2, 0, 1}, ((Tensor) warmed.run(args).get(1)).toLongArray());
  }

  @Test
  void noWarmUpInputsWhenAnInputIsNotATensor() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[2], %n: int) -> (f32[2]) {
          %0 = nn.relu(%x) : f32[2]
          return(%0)
        }""", "obj");
    assertNull(JvmBackend.compile(g, Map.of(), new JvmOptions("dev.kiln.gen.Obj", true)).warmupInputs());
  }
}
