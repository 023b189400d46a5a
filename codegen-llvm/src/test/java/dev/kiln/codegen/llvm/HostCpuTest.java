package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostCpuTest {
  private static final String ZEN4 = """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      model name\t: AMD EPYC 9R14 96-Core Processor
      flags\t\t: fpu sse2 avx fma avx2 avx512f avx512bw avx512_vnni

      processor\t: 1
      model name\t: other
      flags\t\t: fpu
      """;

  @Test
  void parsesFirstProcessorModelAndFlags() {
    HostCpu cpu = HostCpu.parse(ZEN4);
    assertEquals("AMD EPYC 9R14 96-Core Processor", cpu.modelName());
    assertTrue(cpu.hasAvx2());
    assertTrue(cpu.hasAvx512());
    assertTrue(cpu.hasVnni());
    assertEquals(16, cpu.floatLanes());
  }

  @Test
  void olderCpuWithoutAvxFallsBackToFourLanes() {
    HostCpu cpu = HostCpu.parse("model name : old\nflags : fpu sse2\n");
    assertFalse(cpu.hasAvx2());
    assertFalse(cpu.hasVnni());
    assertEquals(4, cpu.floatLanes());
  }

  @Test
  void detectNeverFails() {
    assertNotNull(HostCpu.detect().modelName());
  }
}
