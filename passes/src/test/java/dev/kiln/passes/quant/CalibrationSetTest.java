package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationSetTest {
  @Test
  void filesAreSamplesInNameOrder(@TempDir Path dir) throws Exception {
    Npy.write(dir.resolve("b.npy"), Tensor.fromFloats(new float[] {2}, 1));
    Npy.write(dir.resolve("a.npy"), Tensor.fromFloats(new float[] {1}, 1));
    CalibrationSet s = CalibrationSet.load(dir);
    assertEquals(2, s.size());
    assertTrue(s.samples().get(0).name().endsWith("a.npy"));
    s.checkArity(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.checkArity(2));
    assertTrue(e.getMessage().contains("a.npy: calibration sample has 1 input(s), the model takes 2"), e.getMessage());
  }

  @Test
  void foldersAreMultiInputSamples(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("s0"));
    Npy.write(dir.resolve("s0/0.npy"), Tensor.fromFloats(new float[] {1}, 1));
    Npy.write(dir.resolve("s0/1.npy"), Tensor.fromFloats(new float[] {2}, 1));
    CalibrationSet s = CalibrationSet.load(dir);
    assertEquals(2, s.samples().getFirst().inputs().size());
  }

  @Test
  void badInputIsNamed(@TempDir Path dir) throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CalibrationSet.load(dir));
    assertTrue(e.getMessage().contains("no .npy files"), e.getMessage());
    Files.writeString(dir.resolve("x.npy"), "not numpy");
    e = assertThrows(IllegalArgumentException.class, () -> CalibrationSet.load(dir));
    assertTrue(e.getMessage().contains("x.npy: not a readable .npy file"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CalibrationSet.load(dir.resolve("missing")));
    assertTrue(e.getMessage().contains("must be a folder of .npy files"), e.getMessage());
  }
}
