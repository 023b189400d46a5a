package dev.kiln.runtime.artifact;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * What an llvm artifact holds besides the graph and the weights, as {@link ArtifactWriter#writeNative} takes it: the
 * shared library (stored as {@value #LIBRARY_ENTRY}), the plan that drives it ({@code native/plan.json}, see
 * {@code dev.kiln.runtime.nativelib.NativePlanJson}), and the CPU the library was compiled for.
 *
 * @param library the shared library's bytes, not null
 * @param plan the plan's JSON text, not null
 * @param cpu the LLVM CPU name, e.g. {@code znver4} or {@code x86-64-v3}
 * @param features the LLVM features the code may use, e.g. {@code +avx2}; the runtime refuses a host lacking one
 */
public record NativeFiles(byte[] library, String plan, String cpu, List<String> features) {
  /** The zip entry of the library. */
  public static final String LIBRARY_ENTRY = "native/libkiln_model.so";

  public NativeFiles {
    Objects.requireNonNull(library, "library");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(cpu, "cpu");
    features = List.copyOf(features);
  }

  byte[] planBytes() { return plan.getBytes(StandardCharsets.UTF_8); }

  /** The manifest's description, with both entries' hashes. */
  Manifest.NativeCode describe() {
    return new Manifest.NativeCode(LIBRARY_ENTRY, cpu, features, ArtifactReader.sha256Hex(library), Manifest.NativeCode.PLAN_ENTRY,
        ArtifactReader.sha256Hex(planBytes()));
  }
}
