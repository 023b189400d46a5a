package dev.kiln.ir.ops;

import dev.kiln.ir.OpDef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The op registry: every op Kiln knows, by name. Families are listed here once. */
public final class Ops {
  private Ops() {}

  private static final Map<String, OpDef> BY_NAME = new LinkedHashMap<>();

  static {
    List<List<OpDef>> families = List.of(ControlOps.ALL, PrimOps.ALL, ElementwiseOps.ALL, ShapeOps.ALL, LinalgOps.ALL,
        NnOps.ALL, ReduceOps.ALL, SequenceOps.ALL, FusedOps.ALL, QuantOps.ALL, QuantNnOps.ALL);
    for (List<OpDef> f : families)
      for (OpDef op : f)
        if (BY_NAME.put(op.name(), op) != null) throw new IllegalStateException("op " + op.name() + " declared twice");
  }

  /** @return the op named {@code name}, or null. */
  public static OpDef find(String name) { return BY_NAME.get(name); }

  /** @throws dev.kiln.ir.IrException naming the unknown op */
  public static OpDef get(String name) {
    OpDef op = BY_NAME.get(name);
    if (op == null) throw new dev.kiln.ir.IrException("unknown op '" + name + "'");
    return op;
  }

  public static List<OpDef> all() { return Collections.unmodifiableList(new ArrayList<>(BY_NAME.values())); }
}
