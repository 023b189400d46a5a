package dev.kiln.runtime.nativelib;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.artifact.Json;
import dev.kiln.runtime.nativelib.KernelJson.Read;
import dev.kiln.runtime.nativelib.NativePlan.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link NativePlan} as the text of an llvm artifact's {@code native/plan.json}; {@code read(write(p))} equals
 * {@code p} field by field.
 *
 * <pre>{@code
 * { "format": 2, "program": "mlp", "workspace": 278528,              // workspace: bytes per thread
 *   "buffers": [{"name": "x", "type": "f32", "shape": [2, 4], "role": "input", "source": "0"}, ...],
 *   "storages": ["x", "w0", ...],                       // table[1 + i]
 *   "inputs": ["x"], "outputs": ["v9"], "references": ["graph @r0(...) ..."],
 *   "init": [{"native": "kiln_init_seg0", "kernels": 2, "work": 0}],
 *   "run": [{"native": "kiln_run_seg1", "kernels": 5, "work": 1204224},     // work of its split kernels
 *           {"jvm": {"name": "k3", "params": [...], "body": [...]}},   // KernelJson
 *           {"reference": 0, "inputs": ["v2"], "outputs": ["v3"]}] }
 * }</pre>
 *
 * <p>A batch-split plan ({@link NativePlan#batch} not 1) is format 3 with {@code "batch": 8} (or {@code "batch": 0}
 * for a symbolic batch) after {@code "workspace"}; a plan without the field is run once per call, so artifacts
 * written before the split load as before.
 */
public final class NativePlanJson {
  private NativePlanJson() {}

  public static String write(NativePlan plan) {
    KernelProgram p = plan.program();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", plan.batch() == 1 ? NativePlan.FORMAT : NativePlan.FORMAT_SPLIT);
    m.put("program", p.name());
    m.put("workspace", plan.workspaceBytes());
    if (plan.batch() != 1) m.put("batch", plan.batch());
    List<Object> buffers = new ArrayList<>();
    for (KBuffer b : p.buffers().values()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", b.name());
      e.put("type", b.type().text());
      if (b.shape() != null) {
        List<Object> shape = new ArrayList<>();
        for (long d : b.shape()) shape.add(d);
        e.put("shape", shape);
      }
      e.put("role", b.role().name().toLowerCase(Locale.ROOT));
      if (b.source() != null) e.put("source", b.source());
      buffers.add(e);
    }
    m.put("buffers", buffers);
    m.put("storages", plan.storages());
    m.put("inputs", p.inputs());
    m.put("outputs", p.outputs());
    m.put("references", p.references());
    m.put("init", steps(plan.init()));
    m.put("run", steps(plan.run()));
    return Json.write(m);
  }

  private static List<Object> steps(List<Step> steps) {
    List<Object> out = new ArrayList<>();
    for (Step s : steps) {
      Map<String, Object> e = new LinkedHashMap<>();
      switch (s) {
        case Step.Native n -> {
          e.put("native", n.symbol());
          e.put("kernels", n.kernels());
          e.put("work", n.work());
        }
        case Step.Java j -> e.put("jvm", KernelJson.encode(j.kernel()));
        case Step.Reference r -> {
          e.put("reference", r.call().ref());
          e.put("inputs", r.call().inputs());
          e.put("outputs", r.call().outputs());
          if (r.int8() != null) e.put("int8", r.int8()); // readers without int8 steps ignore it and interpret
        }
      }
      out.add(e);
    }
    return out;
  }

  /**
   * Parses and checks a plan.
   *
   * @param where names the text in messages, e.g. {@code model.kiln!native/plan.json}
   * @throws IllegalArgumentException {@code where: path: expected ...}, or the plan's own consistency problems
   */
  public static NativePlan read(String text, String where) {
    Object json = Json.parse(text, where);
    try {
      Map<?, ?> m = Read.object(json, "plan");
      long format = Read.longValue(m.get("format"), "format");
      if (format != NativePlan.FORMAT && format != NativePlan.FORMAT_SPLIT)
        throw new IllegalArgumentException("format: plan format " + format + ", this runtime reads " + NativePlan.FORMAT + " and " + NativePlan.FORMAT_SPLIT);
      long batch = m.get("batch") == null ? 1 : Read.longValue(m.get("batch"), "batch");
      if (batch < 0) throw new IllegalArgumentException("batch: expected a sample count (0 for a symbolic batch), got " + batch);
      if ((batch != 1) != (format == NativePlan.FORMAT_SPLIT))
        throw new IllegalArgumentException("batch: plan format " + format + " with batch " + batch + " (format " + NativePlan.FORMAT_SPLIT
            + " is exactly the batch-split plans, batch other than 1)");
      String name = Read.string(m.get("program"), "program");
      long workspace = Read.longValue(m.get("workspace"), "workspace");
      Map<String, KBuffer> buffers = new LinkedHashMap<>();
      List<?> bl = Read.array(m.get("buffers"), "buffers");
      for (int i = 0; i < bl.size(); i++) {
        KBuffer b = buffer(bl.get(i), "buffers[" + i + "]");
        if (buffers.put(b.name(), b) != null) throw new IllegalArgumentException("buffers[" + i + "]: %" + b.name() + " is defined twice");
      }
      List<String> refs = Read.strings(m.get("references"), "references");
      KernelProgram p = new KernelProgram(name, buffers, Read.strings(m.get("inputs"), "inputs"),
          Read.strings(m.get("outputs"), "outputs"), List.of(), List.of(), refs);
      return new NativePlan(p, Read.strings(m.get("storages"), "storages"), workspace, steps(m.get("init"), "init"),
          steps(m.get("run"), "run"), batch);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static KBuffer buffer(Object json, String at) {
    Map<?, ?> e = Read.object(json, at);
    String name = Read.string(e.get("name"), at + ".name");
    KType type = KernelJson.type(Read.string(e.get("type"), at + ".type"), at + ".type");
    long[] shape = null;
    if (e.get("shape") != null) {
      List<?> l = Read.array(e.get("shape"), at + ".shape");
      shape = new long[l.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = Read.longValue(l.get(i), at + ".shape[" + i + "]");
        if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) throw new IllegalArgumentException(at + ".shape[" + i + "]: expected a size, got " + shape[i]);
      }
    }
    String role = Read.string(e.get("role"), at + ".role");
    KBuffer.Role r;
    try {
      r = KBuffer.Role.valueOf(role.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException bad) {
      throw new IllegalArgumentException(at + ".role: expected input, weight, const, temp or alias, got \"" + role + "\"");
    }
    String source = e.get("source") == null ? null : Read.string(e.get("source"), at + ".source");
    if (type != KType.OBJ && shape == null) throw new IllegalArgumentException(at + ".shape: missing");
    if (r == KBuffer.Role.INPUT) {
      try {
        Integer.parseInt(source);
      } catch (NumberFormatException bad) {
        throw new IllegalArgumentException(at + ".source: an input names its parameter index, got " + source);
      }
    }
    return new KBuffer(name, type, shape, r, source);
  }

  private static List<Step> steps(Object json, String at) {
    List<?> l = Read.array(json, at);
    List<Step> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      String here = at + "[" + i + "]";
      Map<?, ?> e = Read.object(l.get(i), here);
      if (e.containsKey("native")) out.add(new Step.Native(Read.string(e.get("native"), here + ".native"), Read.integer(e.get("kernels"), here + ".kernels"),
          Read.longValue(e.get("work"), here + ".work")));
      else if (e.containsKey("jvm")) out.add(new Step.Java(KernelJson.decode(e.get("jvm"), here + ".jvm")));
      else if (e.containsKey("reference"))
        out.add(new Step.Reference(new Stmt.CallReference(Read.integer(e.get("reference"), here + ".reference"),
            Read.strings(e.get("inputs"), here + ".inputs"), Read.strings(e.get("outputs"), here + ".outputs")),
            e.get("int8") == null ? null : Read.string(e.get("int8"), here + ".int8")));
      else throw new IllegalArgumentException(here + ": expected a step with \"native\", \"jvm\" or \"reference\"");
    }
    return out;
  }
}
