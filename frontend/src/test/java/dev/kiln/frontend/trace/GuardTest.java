package dev.kiln.frontend.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.trace.nn.Linear;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Value reads while tracing: reported with the user's file:line, checked by the graph, fatal in strict mode. */
class GuardTest {
  /** The line of the caller, so a test can name the line that triggers a guard without hard-coding it. */
  static int here() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst().orElseThrow()).getLineNumber(); }

  /** Doubles its input when the sum is positive, else negates it: a data-dependent branch. */
  static final class Branchy extends Module {
    int branchLine;

    @Override public T forward(T x) {
      branchLine = here(); if (x.sum().gt(0.0).bool()) return x.mul(2.0);
      return x.neg();
    }
  }

  static Tensor row(float... v) { return Tensor.fromFloats(v, 1, v.length); }

  @Test
  void branchOnATensorIsReportedWithTheLineThatReadIt() {
    Branchy m = new Branchy();
    TracedModel t = Tracer.trace(m, List.of(row(1, 2, 3)));
    assertEquals(1, t.guards().size());
    Guard g = t.guards().get(0);
    assertEquals("GuardTest.java", g.file());
    assertEquals(m.branchLine, g.line());
    assertEquals("bool", g.kind());
    assertEquals("Branchy.forward", g.method());
    assertEquals("guard at GuardTest.java:" + m.branchLine + " (Branchy.forward): bool() was true", g.message());
    assertTrue(t.ir().contains("assert(%"), t.ir());
    assertTrue(t.ir().contains("{message=\"guard at GuardTest.java:" + m.branchLine), t.ir());
  }

  @Test
  void theGraphAnswersOnTheSameBranchAndFailsLoudlyOnTheOther() {
    Branchy m = new Branchy();
    TracedModel t = Tracer.trace(m, List.of(row(1, 2, 3)));
    Tensor same = row(4, -1, 0);
    assertTrue(((Tensor) t.run(same).get(0)).allClose(m.forward(T.of(same)).tensor(), 0, 0));
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> t.run(row(-5, 1, 1)));
    assertTrue(e.getMessage().contains("guard at GuardTest.java:" + m.branchLine + " (Branchy.forward): bool() was true"),
        e.getMessage());
  }

  @Test
  void strictModeMakesTheFirstGuardAnErrorNamingTheLine() {
    Branchy m = new Branchy();
    TraceException e = assertThrows(TraceException.class,
        () -> Tracer.trace(m, List.of(row(1, 2, 3)), TraceOptions.defaults().withStrict(true)));
    assertTrue(e.getMessage().startsWith("strict tracing: guard at GuardTest.java:" + m.branchLine + " (Branchy.forward)"),
        e.getMessage());
  }

  @Test
  void itemIsGuardedByItsTracedValue() {
    int[] line = new int[1];
    Module m = new Module() {
      @Override public T forward(T x) {
        line[0] = here(); double scale = x.amax().item();
        return x.div(scale);
      }
    };
    TracedModel t = Tracer.trace(m, List.of(row(1, 4, 2)));
    assertEquals(line[0], t.guards().get(0).line());
    assertEquals("item", t.guards().get(0).kind());
    assertEquals("item() was 4.0", t.guards().get(0).detail());
    // The scale was frozen at 4: same max is fine, another max is caught.
    assertTrue(((Tensor) t.run(row(4, 0, 0)).get(0)).allClose(row(1, 0, 0), 0, 0));
    assertThrows(KilnRuntimeException.class, () -> t.run(row(8, 0, 0)));
  }

  @Test
  void valueDependentShapeIsGuarded() {
    int[] line = new int[1];
    Module m = new Module() {
      @Override public T forward(T x) {
        line[0] = here(); long n = x.countNonzero();
        return x.slice(1, 0, n);
      }
    };
    TracedModel t = Tracer.trace(m, List.of(row(1, 2, 0, 0)));
    Guard g = t.guards().get(0);
    assertEquals("nonzero", g.kind());
    assertEquals(line[0], g.line());
    assertEquals(2, ((Tensor) t.run(row(5, 0, 6, 0)).get(0)).numel());
    assertThrows(KilnRuntimeException.class, () -> t.run(row(1, 1, 1, 0)));
  }

  @Test
  void readingASymbolicSizeFreezesItAndSaysSo() {
    int[] line = new int[1];
    Linear fc = new Linear(3, 2);
    Module m = new Module() {
      @Override public T forward(T x) {
        line[0] = here(); long batch = x.size(0);
        return fc.forward(x).reshape(batch * 2);
      }
    };
    Tensor x = Tensor.fromFloats(new float[6], 2, 3);
    TracedModel t = Tracer.trace(m, List.of(x), TraceOptions.defaults().withSymbolicDim(0, 0, "N"));
    Guard g = t.guards().get(0);
    assertEquals("size", g.kind());
    assertEquals(line[0], g.line());
    assertEquals("size(0) of symbolic dim N was read as 2", g.detail());
    assertThrows(KilnRuntimeException.class, () -> t.run(Tensor.fromFloats(new float[9], 3, 3)));
    // dim() looks without a guard.
    assertEquals("N", Tracer.trace(new Module() {
      String seen;

      @Override public T forward(T y) {
        seen = y.dim(0).toString();
        return y.relu();
      }
    }, List.of(x), TraceOptions.defaults().withSymbolicDim(0, 0, "N")).graph().params().get(0).tensorType().shape().dim(0).toString());
  }

  @Test
  void anOpThatFailsNamesTheCallersLine() {
    int[] line = new int[1];
    Module m = new Module() {
      @Override public T forward(T x) {
        line[0] = here(); return x.matmul(x);
      }
    };
    TraceException e = assertThrows(TraceException.class, () -> Tracer.trace(m, List.of(row(1, 2, 3))));
    assertTrue(e.getMessage().startsWith("nn.matmul at GuardTest.java:" + line[0] + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("inner dims of f32[1,3] and f32[1,3] differ"), e.getMessage());
  }

  @Test
  void eagerCodeOutsideATraceHasNoGuards() {
    assertEquals(6.0, T.of(row(1, 2, 3)).sum().item());
    assertTrue(new Branchy().forward(T.of(row(1, 1, 1))).tensor().allClose(row(2, 2, 2), 0, 0));
  }
}
