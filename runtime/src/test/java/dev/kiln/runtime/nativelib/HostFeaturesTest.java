package dev.kiln.runtime.nativelib;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The target-feature check that guards loading native code (a missing instruction would kill the JVM). */
class HostFeaturesTest {
  private static final String AVX2_ONLY = """
      processor\t: 0
      model name\t: Some CPU
      flags\t\t: fpu sse sse2 pni ssse3 sse4_1 sse4_2 avx avx2 fma bmi1 bmi2 abm f16c

      processor\t: 1
      flags\t\t: fpu avx512f
      """;

  @Test void readsOnlyTheFirstProcessor() {
    HostFeatures h = HostFeatures.parse(AVX2_ONLY);
    assertTrue(h.flags().contains("avx2"));
    assertTrue(!h.flags().contains("avx512f"), "the second block must not be merged in");
  }

  @Test void mapsLlvmNamesToCpuinfoFlags() {
    HostFeatures h = HostFeatures.parse(AVX2_ONLY);
    assertEquals(List.of(), h.missing(List.of("+sse4.2", "+sse3", "+bmi", "+lzcnt", "+avx2", "fma", "-avx512f")));
    assertEquals(List.of("avx512f", "avx512vnni"), h.missing(List.of("+avx2", "+avx512f", "+avx512vnni", "-avx512bw")));
  }

  @Test void requireNamesTheMissingFeatureAndTheTarget() {
    HostFeatures h = HostFeatures.parse(AVX2_ONLY);
    UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
        () -> h.require(List.of("+avx2", "+avx512f"), "m.kiln!native/libkiln_model.so", "znver4"));
    assertEquals("m.kiln!native/libkiln_model.so: compiled for CPU znver4 needing feature avx512f, which this machine's"
        + " CPU lacks; recompile with a portable target such as --target x86-64-v3", e.getMessage());
    assertDoesNotThrow(() -> h.require(List.of("+avx2", "+fma"), "x", null));
  }

  @Test void theHostHasWhatItReports() {
    HostFeatures h = HostFeatures.detect();
    // Every flag the host reports is, by definition, not missing.
    assertEquals(List.of(), h.missing(h.flags().stream().map(f -> "+" + f).toList()));
  }
}
