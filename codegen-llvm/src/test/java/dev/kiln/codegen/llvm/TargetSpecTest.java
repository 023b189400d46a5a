package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host vs named targets: what LLVM detects agrees with /proc/cpuinfo, and the named level bounds the code. */
@Tag("llvm")
class TargetSpecTest {
  @TempDir Path dir;

  @Test
  void hostFeaturesAgreeWithCpuinfo() {
    TargetSpec host = TargetSpec.host();
    HostCpu cpu = HostCpu.detect();
    assertFalse(host.cpu().isEmpty(), "LLVM reported no host CPU name");
    assertEquals(cpu.hasAvx512(), host.features().contains("+avx512f"), "avx512f: cpuinfo vs LLVM " + host);
    assertEquals(cpu.hasAvx2(), host.features().contains("+avx2"), "avx2: cpuinfo vs LLVM " + host);
    assertEquals(cpu.floatLanes(), host.floatLanes());
  }

  @Test
  void namedPortableTargetUsesEightLanes() {
    TargetSpec v3 = TargetSpec.parse(TargetSpec.PORTABLE);
    assertEquals("x86-64-v3", v3.cpu());
    assertEquals(8, v3.floatLanes());
    assertEquals(TargetSpec.host().triple(), v3.triple());
  }

  @Test
  void portableCodeHasNoAvx512Registers() throws Exception {
    String v3 = assembly(TargetSpec.named(TargetSpec.PORTABLE), GemmConfig.forLanes(8));
    assertTrue(v3.contains("vfmadd"), "x86-64-v3 GEMM has no FMA instructions");
    assertTrue(v3.contains("%ymm"), "x86-64-v3 GEMM does not use 256-bit registers");
    assertFalse(v3.contains("%zmm"), "x86-64-v3 GEMM uses AVX-512 registers");
  }

  @Test
  void hostCodeUsesAvx512WhenTheCpuHasIt() throws Exception {
    TargetSpec host = TargetSpec.host();
    String asm = assembly(host, GemmConfig.forLanes(host.floatLanes()));
    assertEquals(HostCpu.detect().hasAvx512(), asm.contains("%zmm"), "zmm use vs host AVX-512 for " + host);
  }

  @Test
  void unknownTripleIsReported() {
    LlvmException e = org.junit.jupiter.api.Assertions.assertThrows(LlvmException.class,
        () -> new LlvmTargetMachine(new TargetSpec("sparc-sun-solaris", "v9", "")).close());
    assertTrue(e.getMessage().contains("sparc-sun-solaris"), e.getMessage());
  }

  private String assembly(TargetSpec spec, GemmConfig cfg) throws Exception {
    Path s = dir.resolve(spec.cpu() + ".s");
    try (LlvmModule m = new LlvmModule("asm"); LlvmTargetMachine tm = new LlvmTargetMachine(spec)) {
      GemmEmitter.emit(m, "gemm", cfg);
      m.verify();
      tm.configure(m);
      tm.optimize(m, LlvmTargetMachine.O3);
      tm.emitAssembly(m, s);
    }
    return Files.readString(s);
  }
}
