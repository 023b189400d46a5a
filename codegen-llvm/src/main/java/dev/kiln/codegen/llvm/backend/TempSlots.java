package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Temps whose live ranges do not meet share one storage (a "slot"), so a run touches a few megabytes of activations
 * again and again instead of a fresh buffer per kernel: mobilenet_v2 batch 1 has 27 MB of f32 temps, most written
 * once and read by the next kernel, which with the weights overflowed the 32 MB L3 and made every kernel's output
 * a write to lines not in any cache (docs/llvm.md, "Fifth round").
 *
 * <p>The rewrite: a temp's live range is the first to the last run kernel that touches its storage (through any
 * view). Temps of the same element type are taken in order of first use; each goes to a slot whose last user ran
 * strictly before its first use, the smallest that is large enough, else the largest (which grows), else a new slot.
 * A slot of two or more temps becomes a new TEMP buffer of the largest member's size, and each member an ALIAS of it;
 * a slot of one temp is left as it was. Sharing is sound because every kernel fully writes the storages it produces
 * before reading them (the property the temps' reuse across runs already relies on; {@code BundleLayout} shares the
 * C bundle's workspace the same way). With threads, the barrier placement ({@link Hazards}) sees storages, so a
 * kernel writing a slot waits for the threads still reading an earlier member of it.
 *
 * <p>Not shared: temps touched by an init kernel, temps whose first run kernel does not write them (they could be
 * counting on the zeros they were allocated with), the storages of outputs, non-temps, objects. The system property
 * {@code kiln.llvm.reuseTemps=false}, read at compile time, turns the rewrite off (one storage per temp).
 */
final class TempSlots {
  private TempSlots() {}

  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.reuseTemps")); }

  /** {@code p} with temps sharing slots (the same program when nothing can share). */
  static KernelProgram apply(KernelProgram p) {
    Set<String> pinned = new HashSet<>();
    for (Kernel k : p.init()) touched(p, k, pinned);
    for (String o : p.outputs()) pinned.add(p.storageOf(o).name());
    Map<String, int[]> live = new LinkedHashMap<>(); // storage -> {first, last} run kernel, in order of first use
    for (int i = 0; i < p.kernels().size(); i++) {
      Set<String> t = new HashSet<>();
      touched(p, p.kernels().get(i), t);
      Set<String> writes = ThreadSplit.Access.of(p, p.kernels().get(i).body()).writes();
      for (String s : t) {
        if (!live.containsKey(s) && !writes.contains(s)) pinned.add(s); // read before any write: may rely on its zeros
        int[] r = live.computeIfAbsent(s, x -> new int[] {Integer.MAX_VALUE, -1});
        r[0] = Math.min(r[0], i);
        r[1] = Math.max(r[1], i);
      }
    }
    List<Slot> slots = new ArrayList<>();
    Map<String, Slot> slotOf = new LinkedHashMap<>();
    for (var e : live.entrySet()) {
      KBuffer b = p.buffer(e.getKey());
      if (b.role() != KBuffer.Role.TEMP || b.type() == KType.OBJ || pinned.contains(b.name())) continue;
      int first = e.getValue()[0], last = e.getValue()[1];
      Slot best = null;
      for (Slot s : slots)
        if (s.type == b.type() && s.last < first && (best == null || better(s, best, b.numel()))) best = s;
      if (best == null) slots.add(best = new Slot(b.type()));
      best.numel = Math.max(best.numel, b.numel());
      best.last = last;
      best.members.add(b.name());
      slotOf.put(b.name(), best);
    }
    if (slots.stream().allMatch(s -> s.members.size() < 2)) return p;
    Map<String, KBuffer> out = new LinkedHashMap<>();
    int n = 0;
    for (KBuffer b : p.buffers().values()) {
      Slot s = slotOf.get(b.name());
      if (s == null || s.members.size() < 2) { out.put(b.name(), b); continue; }
      if (s.name == null) {
        do s.name = "slot" + n++; while (p.buffers().containsKey(s.name));
        out.put(s.name, new KBuffer(s.name, s.type, new long[] {s.numel}, KBuffer.Role.TEMP, null));
      }
      out.put(b.name(), new KBuffer(b.name(), b.type(), b.shape(), KBuffer.Role.ALIAS, s.name));
    }
    return new KernelProgram(p.name(), out, p.inputs(), p.outputs(), p.init(), p.kernels(), p.references());
  }

  /** Bytes of temp storage a run of {@code p} has (for reports and tests). */
  static long tempBytes(KernelProgram p) {
    long n = 0;
    for (KBuffer b : p.buffers().values())
      if (b.role() == KBuffer.Role.TEMP && b.type() != KType.OBJ) n += b.numel() * (b.type() == KType.F32 ? 4 : b.type() == KType.I64 ? 8 : 1);
    return n;
  }

  /** Whether free slot {@code s} suits {@code need} elements better than {@code best}: fits and is smaller, else larger. */
  private static boolean better(Slot s, Slot best, long need) {
    boolean fits = s.numel >= need, bestFits = best.numel >= need;
    if (fits != bestFits) return fits;
    return fits ? s.numel < best.numel : s.numel > best.numel;
  }

  private static void touched(KernelProgram p, Kernel k, Set<String> into) {
    ThreadSplit.Access a = ThreadSplit.Access.of(p, k.body());
    into.addAll(a.reads());
    into.addAll(a.writes());
    for (String n : k.params()) if (!n.equals(ConvExpansion.COL) && p.buffers().containsKey(n)) into.add(p.storageOf(n).name());
  }

  private static final class Slot {
    final KType type;
    final List<String> members = new ArrayList<>();
    long numel;
    int last = -1;
    String name;

    Slot(KType type) { this.type = type; }
  }
}
