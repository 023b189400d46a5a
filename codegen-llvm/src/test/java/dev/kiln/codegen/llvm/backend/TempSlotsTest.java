package dev.kiln.codegen.llvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The temp-sharing rewrite on Kernel IR (no LLVM): in a chain of elementwise kernels each temp is dead two kernels
 * later, so temps alternate between two slots; a view keeps its temp alive; outputs keep their own storage; every
 * slot is as large as its largest member; no two temps a kernel touches share a slot. Bit-identity of whole models
 * with and without sharing is in {@code tests/…/MemoryLayoutLlvmTest}.
 */
class TempSlotsTest {
  // k0: a=relu(x) k1: b=exp(a) k2: c=neg(b) k3: d=tanh(c) k4: e=relu(view of d) k5: f=e+c(long-lived) k6: out
  static final String GRAPH = """
      graph @g(%x: f32[4,16]) -> (f32[64]) {
        %a = nn.relu(%x) : f32[4,16]
        %b = nn.exp(%a) : f32[4,16]
        %c = nn.neg(%b) : f32[4,16]
        %d = nn.tanh(%c) : f32[4,16]
        %v = nn.reshape(%d) {shape=[64]} : f32[64]
        %e = nn.relu(%v) : f32[64]
        %cv = nn.reshape(%c) {shape=[64]} : f32[64]
        %f = nn.add(%e, %cv) : f32[64]
        %o = nn.neg(%f) : f32[64]
        return(%o)
      }""";

  private static KernelProgram lowered() { return KernelLowering.lower(IrParser.parse(GRAPH, "g"), LoweringOptions.NATIVE); }

  @Test
  void tempsWithDisjointLiveRangesShareSlots() {
    KernelProgram p = lowered(), q = TempSlots.apply(p);
    String after = KernelPrinter.print(q);
    long slots = q.buffers().values().stream().filter(b -> b.name().startsWith("slot")).count();
    assertTrue(slots >= 1 && slots < tempCount(p), "some temps share:\n" + after);
    assertTrue(TempSlots.tempBytes(q) < TempSlots.tempBytes(p), after);
    for (KBuffer b : q.buffers().values()) // every slot holds its largest member
      if (b.role() == KBuffer.Role.ALIAS && q.storageOf(b.name()).name().startsWith("slot"))
        assertTrue(b.numel() <= q.storageOf(b.name()).numel(), b.name() + " fits its slot:\n" + after);
    for (String o : q.outputs()) assertEquals(p.storageOf(o).name(), q.storageOf(o).name(), "output keeps its storage");
    assertEquals(p.kernels(), q.kernels(), "kernels are not rewritten, only buffers");
  }

  @Test
  void noKernelTouchesTwoMembersOfOneSlot() {
    KernelProgram p = lowered(), q = TempSlots.apply(p);
    for (Kernel k : q.kernels()) {
      Set<String> storages = new HashSet<>(), buffers = new HashSet<>();
      for (String n : k.params())
        if (p.buffers().containsKey(n) && buffers.add(p.storageOf(n).name()) && !storages.add(q.storageOf(n).name()))
          throw new AssertionError("@" + k.name() + " touches two temps in slot " + q.storageOf(n).name() + ":\n" + KernelPrinter.print(q));
    }
  }

  @Test
  void aViewKeepsItsTempAlive() {
    KernelProgram p = lowered(), q = TempSlots.apply(p);
    // %c is read again through %cv by the add: nothing written between its definition and the add may share with it
    String c = p.storageOf(bufferOf(p, "cv")).name();
    int first = -1, last = -1;
    for (int i = 0; i < p.kernels().size(); i++)
      if (p.kernels().get(i).params().stream().anyMatch(n -> p.buffers().containsKey(n) && p.storageOf(n).name().equals(c))) {
        if (first < 0) first = i;
        last = i;
      }
    assertTrue(last > first + 1, "the fixture keeps %c alive over several kernels");
    for (int i = first + 1; i < last; i++)
      for (String n : q.kernels().get(i).params())
        if (q.buffers().containsKey(n) && !p.storageOf(n).name().equals(c))
          assertNotEquals(q.storageOf(c).name(), q.storageOf(n).name(), "kernel " + i + " writes into %c's slot while %c is live");
  }

  @Test
  void switchOffAndNothingToShareLeaveTheProgramAlone() {
    KernelProgram one = KernelLowering.lower(IrParser.parse("""
        graph @h(%x: f32[8]) -> (f32[8]) {
          %a = nn.relu(%x) : f32[8]
          return(%a)
        }""", "h"), LoweringOptions.NATIVE);
    assertSame(one, TempSlots.apply(one));
    try {
      System.setProperty("kiln.llvm.reuseTemps", "false");
      assertTrue(!TempSlots.enabled());
    } finally {
      System.clearProperty("kiln.llvm.reuseTemps");
    }
    assertTrue(TempSlots.enabled());
  }

  /** A temp a run reads before it writes it (here: never writes) keeps its own zeroed storage. */
  @Test
  void aTempReadBeforeWrittenIsNotShared() {
    KernelProgram p = lowered();
    java.util.Map<String, KBuffer> buffers = new java.util.LinkedHashMap<>(p.buffers());
    buffers.put("zeros", new KBuffer("zeros", dev.kiln.ir.kernel.KType.F32, new long[] {64}, KBuffer.Role.TEMP, null));
    buffers.put("z2", new KBuffer("z2", dev.kiln.ir.kernel.KType.F32, new long[] {64}, KBuffer.Role.TEMP, null));
    String a = p.kernels().get(0).params().get(1);
    // first kernel: z2[i] = zeros[i] (zeros is only read); the rest as lowered, so plenty of slots are free later
    var i = new dev.kiln.ir.kernel.Expr.Var("i", dev.kiln.ir.kernel.KType.INT);
    Kernel first = new Kernel("kz", List.of("zeros", "z2"), List.of(new dev.kiln.ir.kernel.Stmt.For("i", 64, List.of(
        new dev.kiln.ir.kernel.Stmt.Store("z2", i, new dev.kiln.ir.kernel.Expr.Load("zeros", dev.kiln.ir.kernel.KType.F32, i))))), null);
    List<Kernel> kernels = new java.util.ArrayList<>(List.of(first));
    kernels.addAll(p.kernels());
    KernelProgram withZeros = new KernelProgram(p.name(), buffers, p.inputs(), p.outputs(), p.init(), kernels, p.references());
    KernelProgram q = TempSlots.apply(withZeros);
    assertEquals(KBuffer.Role.TEMP, q.buffer("zeros").role(), KernelPrinter.print(q));
    assertEquals(KBuffer.Role.ALIAS, q.buffer("z2").role(), "z2 is written first, dead after kz, and shares:\n" + KernelPrinter.print(q));
    assertEquals(KBuffer.Role.ALIAS, q.buffer(a).role(), KernelPrinter.print(q));
  }

  private static long tempCount(KernelProgram p) {
    return p.buffers().values().stream().filter(b -> b.role() == KBuffer.Role.TEMP).count();
  }

  /** The buffer lowered from graph value {@code %v}: the one whose name is it or ends with it. */
  private static String bufferOf(KernelProgram p, String v) {
    List<String> hits = p.buffers().keySet().stream().filter(n -> n.equals(v) || n.endsWith("_" + v)).toList();
    assertEquals(1, hits.size(), "one buffer for %" + v + " in " + p.buffers().keySet());
    return hits.get(0);
  }
}
