package dev.kiln.passes.memory;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans activation memory for a graph body: liveness ({@link Liveness}), then in-place updates, then offsets in one
 * arena by greedy best fit.
 *
 * <p>In place: an elementwise op (or fused elementwise group) writes its result over a tensor operand that owns its
 * storage, dies at this op (no later use of it or of any view of it), is not an output, and has the result's shape
 * and byte size. Both then form one buffer whose lifetime is the union of theirs.
 *
 * <p>Best fit (as TFLite's greedy-by-size planner): buffers are placed largest first (ties: earlier first); each
 * goes to the smallest gap between already placed buffers whose lifetimes overlap its own that is large enough, or
 * above them all. Buffers holding a graph result are outputs and get no arena space. Deterministic: planning the same
 * graph twice gives the same plan.
 */
public final class MemoryPlanner {
  private MemoryPlanner() {}

  private static final class Buffer {
    final int id;
    long bytes;
    int first, last;
    boolean output;
    long offset = -1;
    final List<Value> members = new ArrayList<>();

    Buffer(int id) { this.id = id; }
  }

  /**
   * @param g a verified graph, not null; only read
   * @return the plan for {@code g}'s body (never null)
   */
  public static MemoryPlan plan(Graph g) {
    Liveness live = new Liveness(g);
    Map<Value, Buffer> of = new LinkedHashMap<>();
    Map<Value, Value> inPlace = new LinkedHashMap<>();
    List<Buffer> buffers = new ArrayList<>();
    List<Value> dynamic = new ArrayList<>();
    for (Value v : live.owners) {
      long bytes = bytes(v);
      if (bytes < 0) { dynamic.add(v); continue; }
      Value over = inPlaceTarget(v, live, of);
      Buffer b;
      if (over != null) {
        b = of.get(over);
        inPlace.put(v, over);
      } else {
        b = new Buffer(buffers.size());
        b.first = live.first.get(v);
        buffers.add(b);
      }
      b.bytes = Math.max(b.bytes, align(bytes));
      b.last = Math.max(b.last, live.last.get(v));
      b.output |= live.returned.contains(v);
      b.members.add(v);
      of.put(v, b);
    }
    place(buffers);

    List<MemoryPlan.Slot> slots = new ArrayList<>();
    long arena = 0, naive = 0, outputs = 0;
    for (Buffer b : buffers) {
      if (b.output) outputs += b.bytes;
      else arena = Math.max(arena, b.offset + b.bytes);
    }
    for (Value v : live.owners) {
      Buffer b = of.get(v);
      if (b == null) continue;
      if (!b.output) naive += align(bytes(v));
      slots.add(new MemoryPlan.Slot(v, b.id, b.output ? -1 : b.offset, align(bytes(v)), live.first.get(v), live.last.get(v),
          b.output, inPlace.get(v)));
    }
    return new MemoryPlan(slots, arena, naive, livePeak(buffers, live.body.size()), outputs, dynamic);
  }

  /** The operand {@code v}'s node may overwrite with {@code v} (see the class comment), or null. */
  private static Value inPlaceTarget(Value v, Liveness live, Map<Value, Buffer> of) {
    Node n = v.definingNode();
    boolean elementwise = n.op().hasTrait(OpDef.Trait.ELEMENTWISE)
        || n.op() == FusedOps.FUSED && n.attrStr("kind").equals(FusedOps.ELEMENTWISE);
    if (!elementwise || n.results().size() != 1) return null;
    int here = live.first.get(v);
    TensorType rt = (TensorType) v.type();
    for (Value o : n.operands()) {
      Buffer b = of.get(o);
      if (b == null || b.output || b.last != here || live.returned.contains(v)) continue;
      if (!(o.type() instanceof TensorType ot) || !ot.shape().equals(rt.shape()) || ot.dtype().byteSize() != rt.dtype().byteSize())
        continue;
      // A view of o read by the same op (add(x, transpose(x))) would see elements already overwritten.
      boolean viewed = false;
      for (Value other : n.operands()) if (other != o && live.roots.getOrDefault(other, java.util.Set.of()).contains(o)) viewed = true;
      if (!viewed) return o;
    }
    return null;
  }

  private static void place(List<Buffer> buffers) {
    List<Buffer> order = new ArrayList<>(buffers.stream().filter(b -> !b.output).toList());
    order.sort(Comparator.comparingLong((Buffer b) -> -b.bytes).thenComparingInt(b -> b.first).thenComparingInt(b -> b.id));
    List<Buffer> placed = new ArrayList<>();
    for (Buffer b : order) {
      List<Buffer> clash = new ArrayList<>();
      for (Buffer p : placed) if (p.first <= b.last && b.first <= p.last) clash.add(p);
      clash.sort(Comparator.comparingLong(p -> p.offset));
      long best = -1, bestGap = Long.MAX_VALUE, cursor = 0;
      for (Buffer p : clash) {
        long gap = p.offset - cursor;
        if (gap >= b.bytes && gap < bestGap) { best = cursor; bestGap = gap; }
        cursor = Math.max(cursor, p.offset + p.bytes);
      }
      b.offset = best >= 0 ? best : cursor;
      placed.add(b);
    }
  }

  /** The most arena bytes live at one position: no placement can do better than this. */
  private static long livePeak(List<Buffer> buffers, int positions) {
    long peak = 0;
    for (int i = 0; i < positions; i++) {
      long sum = 0;
      for (Buffer b : buffers) if (!b.output && b.first <= i && i <= b.last) sum += b.bytes;
      peak = Math.max(peak, sum);
    }
    return peak;
  }

  /** Size in bytes of a tensor with a static shape, or -1. */
  static long bytes(Value v) {
    if (!(v.type() instanceof TensorType t) || !t.shape().isStatic()) return -1;
    return t.shape().numel() * t.dtype().byteSize();
  }

  static long align(long bytes) { return (bytes + MemoryPlan.ALIGNMENT - 1) / MemoryPlan.ALIGNMENT * MemoryPlan.ALIGNMENT; }
}
