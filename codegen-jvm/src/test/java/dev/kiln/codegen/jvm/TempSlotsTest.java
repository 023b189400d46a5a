package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Temps of disjoint lifetimes share arrays kept between runs (TempSlots, runtime TempArena); results stay right. */
class TempSlotsTest {
  // A chain: %0 dies at %1's kernel, so %2 may take its slot; %1 lives while %2 is made; %3 is the result.
  static final String CHAIN = """
      graph @g(%x: f32[4,8]) -> (f32[4,8]) {
        %0 = nn.relu(%x) : f32[4,8]
        %1 = nn.sigmoid(%0) : f32[4,8]
        %2 = nn.tanh(%1) : f32[4,8]
        %3 = nn.add(%2, %1) : f32[4,8]
        return(%3)
      }""";

  static Tensor random(Random r, long... shape) {
    float[] d = new float[(int) (shape[0] * shape[1])];
    for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
    return Tensor.fromFloats(d, shape);
  }

  @Test
  void disjointLifetimesShareASlotAndResultsGetTheirOwnArrays() {
    KernelProgram kp = KernelLowering.lower(IrParser.parse(CHAIN, "chain"));
    TempSlots slots = new TempSlots(kp);
    Map<String, Integer> a = slots.assignment();
    String out = kp.storageOf(kp.outputs().getFirst()).name();
    assertEquals(-1, slots.slot(out), "the result buffer is returned to the caller: never pooled; " + a);
    // Three pooled temps (%0, %1, %2): %0 and %1 overlap (kernel of %1), %1 and %2 overlap, %0 and %2 do not.
    assertEquals(3, a.size(), "pooled temps: " + a + " of " + kp.buffers().keySet());
    List<String> t = new ArrayList<>(a.keySet());
    t.sort((x, y) -> Integer.compare(firstUse(kp, x), firstUse(kp, y)));
    assertEquals(a.get(t.get(0)), a.get(t.get(2)), "%0 and %2 share: " + a);
    assertNotEquals(a.get(t.get(0)), a.get(t.get(1)), "%0 and %1 overlap: " + a);
    assertArrayEquals(new int[] {32, 32}, slots.sizes());
  }

  private static int firstUse(KernelProgram kp, String buffer) {
    for (int i = 0; i < kp.kernels().size(); i++)
      for (String n : kp.kernels().get(i).params()) if (kp.storageOf(n).name().equals(buffer)) return i;
    return Integer.MAX_VALUE;
  }

  @Test
  void concurrentRunsWithDifferentInputsMatchTheInterpreter() throws Exception {
    var g = IrParser.parse(CHAIN, "chain");
    CompiledModel m = JvmBackend.compile(KernelLowering.lower(g), Map.of(), new JvmOptions("dev.kiln.gen.TempSlotsChain", true)).instantiate(Map.of());
    Interpreter interp = new Interpreter(g, Map.of());
    Random r = new Random(5);
    List<Tensor> inputs = List.of(random(r, 4, 8), random(r, 4, 8), random(r, 4, 8));
    List<float[]> want = new ArrayList<>();
    for (Tensor x : inputs) want.add(((Tensor) interp.run(List.of(x)).getFirst()).toFloatArray());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          for (int run = 0; run < 300; run++) {
            int i = (first + run) % inputs.size();
            float[] got = ((Tensor) m.run(List.of(inputs.get(i))).getFirst()).toFloatArray();
            for (int j = 0; j < got.length; j++)
              assertTrue(Math.abs(got[j] - want.get(i)[j]) <= 1e-5, "thread " + first + " run " + run + " element " + j);
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
