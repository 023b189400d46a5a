package dev.kiln.passes;

import dev.kiln.passes.fold.FoldBnPass;
import dev.kiln.passes.fold.FoldPass;
import dev.kiln.passes.shapes.ShapesPass;
import dev.kiln.passes.shapes.SpecializePass;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The registry of passes by name: every pass a pipeline string may name is listed here once. */
public final class Passes {
  private Passes() {}

  private static final Map<String, Supplier<Pass>> BY_NAME = new LinkedHashMap<>();

  static {
    register(DcePass::new);
    register(VerifyPass::new);
    register(FoldPass::new);
    register(CsePass::new);
    register(ShapesPass::new);
    register(SpecializePass::new);
    register(FoldBnPass::new);
    // ---- owned by the fuse/layout/memory packages (another engineer): fusion, channels-last layout, buffer planning
    register(dev.kiln.passes.fuse.FusePass::new);
    register(dev.kiln.passes.layout.NhwcPass::new);
    register(dev.kiln.passes.memory.PlanMemoryPass::new);
    // ---- owned by the quant package: int8 quantization (dynamic, or static from calibration)
    register(dev.kiln.passes.quant.QuantizePass::new);
  }

  private static void register(Supplier<Pass> factory) {
    String name = factory.get().name();
    if (BY_NAME.put(name, factory) != null) throw new IllegalStateException("pass " + name + " registered twice");
  }

  /** Names of all passes in registration order. */
  public static List<String> names() { return List.copyOf(BY_NAME.keySet()); }

  /** A fresh instance of every pass, in registration order (for listing names and summaries). */
  public static List<Pass> all() {
    return Collections.unmodifiableList(BY_NAME.values().stream().map(Supplier::get).toList());
  }

  /** @return a new instance of the pass named {@code name}, or null if there is none */
  public static Pass find(String name) {
    Supplier<Pass> f = BY_NAME.get(name);
    return f == null ? null : f.get();
  }

  /** @throws IllegalArgumentException naming the unknown pass and listing the known ones */
  public static Pass get(String name) {
    Pass p = find(name);
    if (p == null) throw new IllegalArgumentException("unknown pass '" + name + "'; known passes: " + String.join(", ", names()));
    return p;
  }
}
