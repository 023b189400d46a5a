package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * Which f32 temps of a program share arrays kept between runs ({@code runtime.kernels.TempArena}): the live range of
 * a temp is the kernels from its first to its last use (through aliases), and temps whose ranges do not overlap may
 * take the same slot, which is as large as its largest temp. Temps that results are returned in, and temps a
 * reference call touches (it wraps arrays as tensors of their exact size), keep a fresh array per run. Greedy
 * best fit in order of first use. {@code -Dkiln.jvm.arena=false} turns it off.
 */
final class TempSlots {
  static final boolean ON = !"false".equals(System.getProperty("kiln.jvm.arena"));
  private static final String ARENA = "dev/kiln/runtime/kernels/TempArena", DESC = "L" + ARENA + ";";

  private final Map<String, Integer> slotOf = new LinkedHashMap<>();
  private final List<Integer> sizes = new ArrayList<>();

  TempSlots(KernelProgram p) {
    if (!ON) return;
    Set<String> excluded = new HashSet<>();
    for (String o : p.outputs()) excluded.add(p.storageOf(o).name());
    Map<String, int[]> range = new LinkedHashMap<>();
    List<Kernel> ks = p.kernels();
    for (int i = 0; i < ks.size(); i++) {
      Kernel k = ks.get(i);
      List<String> used = new ArrayList<>(k.params());
      for (Stmt s : k.body())
        if (s instanceof Stmt.CallReference r) {
          for (String n : r.inputs()) excluded.add(p.storageOf(n).name());
          for (String n : r.outputs()) excluded.add(p.storageOf(n).name());
          used.addAll(r.inputs());
          used.addAll(r.outputs());
        }
      for (String n : used) {
        KBuffer b = p.storageOf(n);
        if (b.role() != KBuffer.Role.TEMP || b.type() != KType.F32) continue;
        int[] r = range.computeIfAbsent(b.name(), x -> new int[] {Integer.MAX_VALUE, -1});
        r[0] = Math.min(r[0], i);
        r[1] = Math.max(r[1], i);
      }
    }
    List<Integer> freeAfter = new ArrayList<>();
    for (Map.Entry<String, int[]> e : range.entrySet()) {
      if (excluded.contains(e.getKey())) continue;
      int need = (int) p.buffer(e.getKey()).numel(), first = e.getValue()[0], best = -1;
      // Best fit among free slots: the smallest that is large enough, else the largest (grown to fit).
      for (int s = 0; s < sizes.size(); s++) {
        if (freeAfter.get(s) >= first) continue;
        if (best < 0) best = s;
        else {
          boolean fitsS = sizes.get(s) >= need, fitsB = sizes.get(best) >= need;
          if (fitsS && (!fitsB || sizes.get(s) < sizes.get(best)) || !fitsS && !fitsB && sizes.get(s) > sizes.get(best)) best = s;
        }
      }
      if (best < 0) {
        best = sizes.size();
        sizes.add(0);
        freeAfter.add(-1);
      }
      sizes.set(best, Math.max(sizes.get(best), need));
      freeAfter.set(best, e.getValue()[1]);
      slotOf.put(e.getKey(), best);
    }
  }

  /** The slot of a temp storage, or -1 when it gets a fresh array per run. */
  int slot(String storage) { return slotOf.getOrDefault(storage, -1); }

  boolean any() { return !sizes.isEmpty(); }

  int[] sizes() { return sizes.stream().mapToInt(Integer::intValue).toArray(); }

  /** Temps per slot, for reports and tests. */
  Map<String, Integer> assignment() { return new HashMap<>(slotOf); }

  /** The model's {@code arena} field, when any temp is pooled. */
  void declareField(ClassWriter cw) {
    if (any()) cw.visitField(ACC_PRIVATE | ACC_FINAL, "arena", DESC, null, null).visitEnd();
  }

  /** Constructor code: {@code this.arena = new TempArena(sizes)}. */
  void construct(MethodVisitor mv, KernelEmitter util, String cls) {
    if (!any()) return;
    int[] s = sizes();
    mv.visitVarInsn(ALOAD, 0);
    mv.visitTypeInsn(NEW, ARENA);
    mv.visitInsn(DUP);
    util.pushInt(s.length);
    mv.visitIntInsn(NEWARRAY, T_INT);
    for (int i = 0; i < s.length; i++) {
      mv.visitInsn(DUP);
      util.pushInt(i);
      util.pushInt(s[i]);
      mv.visitInsn(IASTORE);
    }
    mv.visitMethodInsn(INVOKESPECIAL, ARENA, "<init>", "([I)V", false);
    mv.visitFieldInsn(PUTFIELD, cls, "arena", DESC);
  }

  /** Run code: {@code frame = this.arena.take()} into local {@code frame}. */
  void take(MethodVisitor mv, String cls, int frame) {
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, cls, "arena", DESC);
    mv.visitMethodInsn(INVOKEVIRTUAL, ARENA, "take", "()[[F", false);
    mv.visitVarInsn(ASTORE, frame);
  }

  /** Pushes the array of pooled temp {@code storage}: {@code frame[slot]}. */
  void pushArray(MethodVisitor mv, KernelEmitter util, int frame, String storage) {
    mv.visitVarInsn(ALOAD, frame);
    util.pushInt(slot(storage));
    mv.visitInsn(AALOAD);
  }

  /** Run code before returning: {@code this.arena.give(frame)}. */
  void give(MethodVisitor mv, String cls, int frame) {
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, cls, "arena", DESC);
    mv.visitVarInsn(ALOAD, frame);
    mv.visitMethodInsn(INVOKEVIRTUAL, ARENA, "give", "([[F)V", false);
  }
}
