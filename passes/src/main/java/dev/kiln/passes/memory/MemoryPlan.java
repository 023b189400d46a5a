package dev.kiln.passes.memory;

import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each activation tensor of a graph body lives: an offset in one activation arena of {@link #arenaBytes}
 * bytes (the caller allocates it once per concurrent run), or a separate output buffer handed to the caller.
 * Produced by {@link MemoryPlanner#plan}; immutable.
 *
 * <p>How lowering consumes it: for the result of a body node, {@link #slot(Value)} gives the arena offset (or says
 * it is an output); views (MOVEMENT ops other than to_layout, contiguous, cat and stack; eval-mode dropout) and container values
 * have no slot of their own and read their operand's storage; values with dynamic shapes are listed in
 * {@link #dynamic()} and allocated at run time. A slot with {@code inPlaceOf} set writes over that operand's
 * storage (an elementwise op whose operand dies there with the same size). The plan refers to the graph's
 * {@link Value}s: compute it on the final graph, after the last pass that changes it.
 *
 * @param slots one per owning value with a static shape, in definition order
 * @param naiveBytes the sum of the sizes of all those values outside outputs: the arena a planner without reuse needs
 * @param liveBytes the most bytes live at once (a lower bound for any arena without in-place reuse of those sizes)
 */
public record MemoryPlan(List<Slot> slots, long arenaBytes, long naiveBytes, long liveBytes, long outputBytes,
    List<Value> dynamic) {

  /** Sizes are rounded up to this many bytes, so every slot is aligned for vector loads. */
  public static final int ALIGNMENT = 64;

  /**
   * @param buffer the storage group: values sharing one (through in-place updates) have the same number
   * @param offset byte offset in the arena, or -1 for an output
   * @param first,last body positions of the definition and the last use (of the value or any view of it)
   * @param inPlaceOf the operand whose storage this value overwrites, or null
   */
  public record Slot(Value value, int buffer, long offset, long bytes, int first, int last, boolean output, Value inPlaceOf) {}

  public MemoryPlan {
    slots = List.copyOf(slots);
    dynamic = List.copyOf(dynamic);
  }

  /** The slot of {@code v}, or null when {@code v} has none (a parameter, constant, view, dynamic or non-tensor value). */
  public Slot slot(Value v) {
    for (Slot s : slots) if (s.value() == v) return s;
    return null;
  }

  public int inPlaceCount() { return (int) slots.stream().filter(s -> s.inPlaceOf() != null).count(); }

  /**
   * Problems with the plan: two arena slots of different buffers whose lifetimes and byte ranges both overlap.
   * Empty for every plan {@link MemoryPlanner} makes; tests and the pass check it.
   */
  public List<String> check() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++)
      for (int j = i + 1; j < slots.size(); j++) {
        Slot a = slots.get(i), b = slots.get(j);
        if (a.output() || b.output() || a.buffer() == b.buffer()) continue;
        boolean time = a.first() <= b.last() && b.first() <= a.last();
        boolean space = a.offset() < b.offset() + b.bytes() && b.offset() < a.offset() + a.bytes();
        if (time && space) out.add(name(a) + " and " + name(b) + " overlap in time and in the arena");
      }
    return out;
  }

  /** One line per slot, then the totals; value names as {@code Value#displayName}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Slot s : slots) {
      sb.append(name(s)).append(": buffer=").append(s.buffer());
      if (s.output()) sb.append(" output");
      else sb.append(" offset=").append(s.offset());
      sb.append(" bytes=").append(s.bytes()).append(" live=[").append(s.first()).append(',').append(s.last()).append(']');
      if (s.inPlaceOf() != null) sb.append(" in-place-of=%").append(s.inPlaceOf().displayName());
      sb.append('\n');
    }
    for (Value v : dynamic) sb.append('%').append(v.displayName()).append(": dynamic\n");
    return sb.append(summary()).append('\n').toString();
  }

  /** {@code arena 4096 B (naive 12288 B, live peak 4096 B), outputs 1024 B, 2 in place, 0 dynamic}. */
  public String summary() {
    return "arena " + arenaBytes + " B (naive " + naiveBytes + " B, live peak " + liveBytes + " B), outputs " + outputBytes
        + " B, " + inPlaceCount() + " in place, " + dynamic.size() + " dynamic";
  }

  private static String name(Slot s) { return "%" + s.value().displayName(); }

  /** Slots by value, for callers that look many up. */
  public Map<Value, Slot> byValue() {
    Map<Value, Slot> m = new java.util.LinkedHashMap<>();
    for (Slot s : slots) m.put(s.value(), s);
    return Collections.unmodifiableMap(m);
  }
}
