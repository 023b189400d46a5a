package dev.kiln.frontend.weights;

import dev.kiln.frontend.trace.Module;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Reads weights files of either format and loads them into a {@link Module}. */
public final class StateDicts {
  private StateDicts() {}

  /**
   * Reads a state dict, picking the format from the file's first bytes: a zip is a {@code torch.save} file, anything
   * else is read as safetensors.
   *
   * @throws WeightsException naming the file and what was wrong
   */
  public static Map<String, Tensor> read(Path file) {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(4);
    } catch (IOException e) {
      throw new WeightsException(file + ": cannot read: " + e.getMessage(), e);
    }
    boolean zip = head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    return zip ? TorchStateDict.read(file) : Safetensors.read(file);
  }

  /**
   * Reads {@code file} and loads it into {@code module} ({@link Module#loadStateDict}): names must match the module's
   * parameter paths exactly, with the same dtype and shape.
   *
   * @throws WeightsException naming the file and every missing, unexpected or mis-shaped parameter
   */
  public static void load(Module module, Path file) {
    Map<String, Tensor> sd = read(file);
    try {
      module.loadStateDict(sd, file.toString());
    } catch (IllegalArgumentException e) {
      throw new WeightsException(e.getMessage(), e);
    }
  }
}
