package dev.kiln.frontend.weights;

import dev.kiln.frontend.archive.ArchiveException;
import dev.kiln.frontend.archive.ArchiveLimits;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchArchive;
import dev.kiln.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a state dict that {@code torch.save(model.state_dict(), path)} wrote: a zip whose {@code data.pkl} is an
 * OrderedDict of name to tensor, read with the archive reader's safe unpickler (a fixed allow-list of globals; no
 * code runs) and its checked storages.
 */
public final class TorchStateDict {
  private TorchStateDict() {}

  /**
   * Reads every tensor into heap memory, in the file's order.
   *
   * @throws WeightsException naming the file and the key, when the file is not a zip of a dict of tensors
   */
  public static Map<String, Tensor> read(Path file) {
    TorchArchive a;
    try {
      a = TorchArchive.openSaved(file, ArchiveLimits.DEFAULT);
    } catch (ArchiveException e) {
      throw new WeightsException(file + ": not a readable torch.save state dict: " + e.getMessage(), e);
    }
    if (!(a.data() instanceof Map<?, ?> m))
      throw new WeightsException(file + ": holds " + (a.data() == null ? "None" : a.data().getClass().getSimpleName())
          + ", expected a dict of tensors (torch.save(model.state_dict(), path))");
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) throw new WeightsException(file + ": key " + e.getKey() + " is not a string");
      if (!(e.getValue() instanceof StoredTensor t))
        throw new WeightsException(file + ": \"" + k + "\" holds " + (e.getValue() == null ? "None" : e.getValue().getClass().getSimpleName())
            + ", expected a tensor");
      if (t.quant() != null) throw new WeightsException(file + ": \"" + k + "\" is quantized; expected a float or integer tensor");
      out.put(k, t.toTensor());
    }
    return out;
  }
}
