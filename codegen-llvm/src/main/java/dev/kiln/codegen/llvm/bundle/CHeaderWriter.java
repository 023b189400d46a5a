package dev.kiln.codegen.llvm.bundle;

import dev.kiln.ir.kernel.KType;
import java.util.List;
import java.util.Locale;

/**
 * The C header of a bundle: the entry point's prototype, and as {@code #define}s the weights file name, size and
 * checksum, the workspace size, the alignment, the return codes, and per input and output its name, rank, shape,
 * element count and byte size (plus a {@code typedef} of its element type). Every name starts with the bundle name
 * ({@code resnet18_run}, {@code RESNET18_IN0_SHAPE}), so several bundles can be used in one program.
 */
final class CHeaderWriter {
  /** One input or output of the entry point. */
  record Port(String name, KType type, long[] shape) {
    long numel() {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }
  }

  private CHeaderWriter() {}

  /**
   * @param name the bundle name, a C identifier
   * @param source what the bundle was compiled from (a file name), for the comment at the top
   * @param weightsFile the weights file's name, relative to the header's folder
   */
  static String write(String name, String source, String target, String weightsFile, long weightsBytes, long weightsFnv,
      long workspaceBytes, List<Port> inputs, List<Port> outputs) {
    String P = name.toUpperCase(Locale.ROOT);
    StringBuilder h = new StringBuilder();
    h.append("/* ").append(name).append(".h: Kiln C bundle of ").append(source).append(" (generated; do not edit).\n")
        .append(" *\n")
        .append(" * Needs no Kiln library: link ").append(name).append(".o (or lib").append(name).append(".so) and -lm.\n")
        .append(" * The caller owns three kinds of memory, all plain bytes:\n")
        .append(" *   weights:   ").append(P).append("_WEIGHTS_BYTES read from ").append(P).append("_WEIGHTS_FILE, ")
        .append(P).append("_ALIGNMENT-aligned; read-only, shared by every thread\n")
        .append(" *   workspace: ").append(P).append("_WORKSPACE_BYTES, ").append(P)
        .append("_ALIGNMENT-aligned, need not be cleared; one per concurrent call\n")
        .append(" *   inputs and outputs: contiguous row-major arrays of the shapes below, any alignment\n")
        .append(" * Compiled for CPU ").append(target).append(": running it on a CPU without these features faults.\n */\n");
    String guard = "KILN_BUNDLE_" + P + "_H";
    h.append("#ifndef ").append(guard).append("\n#define ").append(guard).append("\n\n#include <stdint.h>\n\n");
    define(h, P + "_WEIGHTS_FILE", "\"" + weightsFile + "\"");
    define(h, P + "_WEIGHTS_BYTES", weightsBytes + "ULL");
    define(h, P + "_WEIGHTS_FNV1A64", String.format("0x%016xULL", weightsFnv));
    define(h, P + "_WORKSPACE_BYTES", workspaceBytes + "ULL");
    define(h, P + "_ALIGNMENT", String.valueOf(BundleLayout.ALIGN));
    define(h, P + "_TARGET_CPU", "\"" + target + "\"");
    define(h, P + "_NUM_INPUTS", String.valueOf(inputs.size()));
    define(h, P + "_NUM_OUTPUTS", String.valueOf(outputs.size()));
    h.append("\n/* Return codes of ").append(name).append("_run. */\n");
    define(h, P + "_OK", String.valueOf(BundleEntryEmitter.OK));
    define(h, P + "_ERR_WEIGHTS_ALIGN", String.valueOf(BundleEntryEmitter.ERR_WEIGHTS_ALIGN));
    define(h, P + "_ERR_WORKSPACE_ALIGN", String.valueOf(BundleEntryEmitter.ERR_WORKSPACE_ALIGN));
    define(h, P + "_ERR_NULL", String.valueOf(BundleEntryEmitter.ERR_NULL));
    ports(h, name, P, "in", "IN", inputs);
    ports(h, name, P, "out", "OUT", outputs);

    h.append("\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    h.append("/* Runs the model once: copies the inputs in, computes, writes the outputs. Returns ").append(P)
        .append("_OK, or an\n * ").append(P).append("_ERR_* code (and touches no output) when a region is misaligned or a pointer is null.\n")
        .append(" * Thread-safe when each concurrent call has its own workspace. */\n");
    h.append("int ").append(name).append("_run(const void *weights, void *workspace");
    for (int i = 0; i < inputs.size(); i++) h.append(", const ").append(name).append("_in").append(i).append("_t *in").append(i);
    for (int i = 0; i < outputs.size(); i++) h.append(", ").append(name).append("_out").append(i).append("_t *out").append(i);
    h.append(");\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* ").append(guard).append(" */\n");
    return h.toString();
  }

  private static void ports(StringBuilder h, String name, String P, String lower, String upper, List<Port> ports) {
    for (int i = 0; i < ports.size(); i++) {
      Port port = ports.get(i);
      String q = P + "_" + upper + i;
      h.append("\n/* ").append(lower.equals("in") ? "input " : "output ").append(i).append(": %").append(port.name())
          .append(' ').append(port.type().text()).append(dev.kiln.ir.Shape.sizesToString(port.shape())).append(" */\n");
      define(h, q + "_NAME", "\"" + port.name() + "\"");
      define(h, q + "_RANK", String.valueOf(port.shape().length));
      StringBuilder dims = new StringBuilder("{");
      for (int d = 0; d < port.shape().length; d++) dims.append(d == 0 ? "" : ", ").append(port.shape()[d]);
      define(h, q + "_SHAPE", dims.append('}').toString());
      define(h, q + "_NUMEL", port.numel() + "ULL");
      define(h, q + "_BYTES", port.numel() * width(port.type()) + "ULL");
      h.append("typedef ").append(ctype(port.type())).append(' ').append(name).append('_').append(lower).append(i).append("_t;\n");
    }
  }

  private static void define(StringBuilder h, String macro, String value) {
    h.append("#define ").append(macro).append(' ').append(value).append('\n');
  }

  static String ctype(KType t) {
    return switch (t) {
      case F32 -> "float";
      case I64 -> "int64_t";
      case BOOL -> "uint8_t";
      default -> throw new IllegalArgumentException("no C type for " + t);
    };
  }

  private static long width(KType t) { return t == KType.F32 ? 4 : t == KType.I64 ? 8 : 1; }
}
