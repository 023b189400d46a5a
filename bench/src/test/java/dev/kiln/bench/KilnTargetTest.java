package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths a {@link KilnTarget} calls a JVM-backend model by: fetching calls (the first call and the checks) go
 * straight from {@code KilnTarget.fetch} into the model's own {@code run}; timed calls through the wrapper. No
 * timing is asserted.
 */
class KilnTargetTest {
  /** A stand-in model that records which method called it. */
  private static final class Recording implements CompiledModel {
    final List<String> callers = new ArrayList<>();
    final Tensor out = Tensor.fromFloats(new float[] {1, 2, 3}, 3);

    @Override public List<Object> run(List<Object> inputs) {
      callers.add(StackWalker.getInstance().walk(s -> s.skip(1).findFirst().map(f -> f.getClassName() + "." + f.getMethodName()).orElse("?")));
      return List.of(out);
    }
  }

  @Test
  void fetchingCallsGoStraightToTheModelTimedCallsThroughTheWrapper() {
    Recording m = new Recording();
    try (KilnTarget t = new KilnTarget("kiln-jvm", KilnTarget.direct(m), Tensor.fromFloats(new float[] {0}, 1))) {
      assertArrayEquals(new float[] {1, 2, 3}, t.run(true));
      assertTrue(t.lastRunNanos() >= 0, "the fetched run is timed");
      assertEquals(null, t.run(false));
    }
    assertEquals(List.of(KilnTarget.class.getName() + ".fetch", KilnTarget.class.getName() + "$Direct.run"), m.callers);
  }

  @Test
  void otherBackendsAreCalledThroughTheirCompiledModelEitherWay() {
    List<Integer> calls = new ArrayList<>();
    Tensor out = Tensor.fromFloats(new float[] {4}, 1);
    KilnBackend.Compiled c = in -> {
      calls.add(in.size());
      return List.of(out);
    };
    try (KilnTarget t = new KilnTarget("kiln-interp", c, Tensor.fromFloats(new float[] {0}, 1))) {
      assertArrayEquals(new float[] {4}, t.run(true));
      t.run(false);
    }
    assertEquals(List.of(1, 1), calls);
  }
}
