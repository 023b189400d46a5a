package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MachineInfoTest {
  @Test
  void readsTheModelNameFromLscpuOrCpuinfoText() {
    assertEquals("AMD EPYC", MachineInfo.field("Architecture:   x86_64\nModel name:     AMD EPYC\nCPU family: 25\n", "Model name:"));
    assertEquals("Intel(R) Xeon(R) 8375C", MachineInfo.field("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) 8375C\n", "model name"));
    assertNull(MachineInfo.field("Architecture: x86_64\n", "Model name:"));
    assertNull(MachineInfo.field(null, "Model name:"));
  }

  @Test
  void probeFillsEveryField() {
    MachineInfo m = MachineInfo.probe();
    assertTrue(m.cores() >= 1);
    assertFalse(m.cpu().isBlank());
    assertTrue(m.jdk().startsWith(Runtime.version().toString()), m.jdk());
    assertFalse(MachineInfo.loadAverage().isBlank());
  }
}
