package dev.kiln.runtime.artifact;

import dev.kiln.ir.IrException;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.artifact.Manifest.NativeCode;
import dev.kiln.runtime.artifact.Manifest.Port;
import dev.kiln.runtime.artifact.Manifest.WeightEntry;
import dev.kiln.runtime.nativelib.HostFeatures;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether this runtime can load an artifact described by a {@link Manifest}: format and Kiln version, a
 * backend it knows, a JVM at least as new as the target, a well-formed signature, and a weight index that fits in
 * weights.bin. Every problem is collected, so the error lists all that does not fit; harmless differences (another
 * vector width) become notes.
 */
public final class ManifestCheck {
  private ManifestCheck() {}

  /** The backends this runtime can run. */
  public static final Set<String> BACKENDS = Set.of("interp", "jvm", "llvm");

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern BINARY_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

  /**
   * @param problems what prevents loading (empty when the artifact fits)
   * @param notes what differs but is fine, e.g. another vector width
   */
  public record Result(List<String> problems, List<String> notes) {}

  /**
   * @param m the manifest, not null
   * @param weightsBytes the actual size of the weights.bin entry, or -1 when the entry is missing
   * @param host the machine loading the artifact (normally {@link Target#host()})
   */
  public static Result check(Manifest m, long weightsBytes, Target host) {
    // Reading /proc/cpuinfo is only worth it when there is native code to guard.
    return check(m, weightsBytes, host, m.nativeCode() == null ? null : HostFeatures.detect());
  }

  /**
   * As {@link #check(Manifest, long, Target)}, with the host CPU's features given (tests pass a made-up CPU).
   *
   * @param cpu the loading machine's CPU features; may be null only when {@code m.nativeCode()} is null
   */
  public static Result check(Manifest m, long weightsBytes, Target host, HostFeatures cpu) {
    List<String> problems = new ArrayList<>(), notes = new ArrayList<>();
    if (m.format() != Manifest.FORMAT)
      problems.add("format: artifact format " + m.format() + ", this runtime reads format " + Manifest.FORMAT);
    String v = KilnVersion.incompatibility(m.kilnVersion());
    if (v != null) problems.add("kiln: " + v);
    checkBackend(m, problems);
    checkNative(m, cpu, problems);
    if (m.target().javaFeature() > host.javaFeature())
      problems.add("target.java: compiled for Java " + m.target().javaFeature() + ", this JVM is Java " + host.javaFeature());
    if (m.backend().equals("jvm") && m.target().vectorBits() != host.vectorBits())
      notes.add("compiled for " + m.target().vectorBits() + "-bit vectors, this machine prefers " + host.vectorBits()
          + "-bit; results are the same, speed may differ");
    checkPorts("inputs", m.inputs(), problems);
    checkPorts("outputs", m.outputs(), problems);
    checkWeights(m, weightsBytes, problems);
    return new Result(List.copyOf(problems), List.copyOf(notes));
  }

  private static void checkBackend(Manifest m, List<String> problems) {
    if (!BACKENDS.contains(m.backend())) {
      problems.add("backend: \"" + m.backend() + "\" is not one this runtime runs (expected one of " + BACKENDS.stream().sorted().toList() + ")");
      return;
    }
    boolean jvm = m.backend().equals("jvm");
    if (jvm && m.entryClass() == null) problems.add("entry_class: missing (a jvm artifact names its generated class)");
    if (jvm && m.entryClass() != null && !BINARY_NAME.matcher(m.entryClass()).matches())
      problems.add("entry_class: \"" + m.entryClass() + "\" is not a Java class name such as gen.Model");
    if (!jvm && m.entryClass() != null) problems.add("entry_class: present, but the " + m.backend() + " backend runs no generated code");
  }

  /** The native library's description, and before anything is loaded, that this CPU has every feature it needs. */
  private static void checkNative(Manifest m, HostFeatures cpu, List<String> problems) {
    NativeCode n = m.nativeCode();
    if (n == null) {
      if (m.backend().equals("llvm")) problems.add("native: missing (an llvm artifact names its shared library and target CPU)");
      return;
    }
    if (!m.backend().equals("llvm")) problems.add("native: present, but the " + m.backend() + " backend runs no native code");
    if (!n.library().matches("native/[A-Za-z0-9_.-]+\\.so"))
      problems.add("native.library: \"" + n.library() + "\" is not an entry such as native/libkiln_model.so");
    if (m.backend().equals("llvm")) {
      if (n.librarySha256() == null || !SHA256.matcher(n.librarySha256()).matches())
        problems.add("native.library_sha256: expected 64 lower-case hex digits, got " + (n.librarySha256() == null ? "nothing" : "\"" + n.librarySha256() + "\""));
      if (!NativeCode.PLAN_ENTRY.equals(n.plan()))
        problems.add("native.plan: expected \"" + NativeCode.PLAN_ENTRY + "\", got " + (n.plan() == null ? "nothing" : "\"" + n.plan() + "\""));
      if (n.planSha256() == null || !SHA256.matcher(n.planSha256()).matches())
        problems.add("native.plan_sha256: expected 64 lower-case hex digits, got " + (n.planSha256() == null ? "nothing" : "\"" + n.planSha256() + "\""));
    }
    List<String> missing = cpu.missing(n.features());
    if (!missing.isEmpty())
      problems.add("native.features: compiled for CPU " + n.cpu() + " needing " + String.join(", ", missing)
          + ", which this machine's CPU lacks (recompile with a portable target such as --target x86-64-v3)");
  }

  private static void checkPorts(String what, List<Port> ports, List<String> problems) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      Port p = ports.get(i);
      String at = what + "[" + i + "]";
      if (p.name().isEmpty()) problems.add(at + ".name: empty");
      else if (!seen.add(p.name())) problems.add(at + ".name: \"" + p.name() + "\" is used twice");
      try {
        IrParser.parseType(p.type(), at + ".type");
      } catch (IrException bad) {
        problems.add(bad.getMessage());
      }
    }
  }

  private static void checkWeights(Manifest m, long actual, List<String> problems) {
    if (!SHA256.matcher(m.weightsSha256()).matches())
      problems.add("weights.sha256: \"" + m.weightsSha256() + "\" is not 64 lower-case hex digits");
    if (actual >= 0 && actual != m.weightsSize())
      problems.add("weights.size: manifest says " + m.weightsSize() + " bytes, weights.bin holds " + actual);
    long end = 0;
    String previous = null;
    for (WeightEntry w : m.weights()) { // sorted by offset
      String at = "weights.index[\"" + w.name() + "\"]";
      if (w.name().isEmpty()) problems.add(at + ": empty name");
      if (w.dtype() != null) {
        long want = byteLength(w);
        if (want < 0) problems.add(at + ": shape " + w.shape() + " is too large");
        else if (want != w.length())
          problems.add(at + ".length: " + w.length() + " bytes, but " + w.dtype() + w.shape().toString().replace(" ", "") + " needs " + want);
      }
      if (w.offset() % Manifest.ALIGNMENT != 0)
        problems.add(at + ".offset: " + w.offset() + " is not a multiple of " + Manifest.ALIGNMENT);
      if (w.offset() + w.length() > m.weightsSize())
        problems.add(at + ": bytes " + w.offset() + ".." + (w.offset() + w.length()) + " lie outside weights.bin (" + m.weightsSize() + " bytes)");
      if (w.offset() < end) problems.add(at + ": bytes from " + w.offset() + " overlap \"" + previous + "\" (which ends at " + end + ")");
      if (w.offset() + w.length() > end) { end = w.offset() + w.length(); previous = w.name(); }
    }
  }

  /** The bytes a weight's shape needs, or -1 on overflow. */
  static long byteLength(WeightEntry w) {
    try {
      long n = w.dtype().byteSize();
      for (long s : w.shape()) n = Math.multiplyExact(n, s);
      return n;
    } catch (ArithmeticException overflow) {
      return -1;
    }
  }
}
