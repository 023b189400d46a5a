package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads the weights a graph names ({@code const {name="fc.weight"}}) from {@code DIR/fc.weight.npy}, checking
 * each against the type the graph declares.
 */
final class WeightLoader {
  private WeightLoader() {}

  /** {@code model.kir} -> {@code model.weights} beside it. */
  static Path defaultDir(Path irFile) {
    String name = irFile.getFileName().toString();
    String stem = name.endsWith(".kir") ? name.substring(0, name.length() - 4) : name;
    return irFile.resolveSibling(stem + ".weights");
  }

  /**
   * @param dir the weights folder given with {@code --weights}, or null to use {@link #defaultDir} if it exists
   * @return weight name to tensor (empty if the graph names none)
   */
  static Map<String, Tensor> load(Graph g, Path irFile, Path dir) throws IOException {
    Map<String, Node> wanted = new LinkedHashMap<>();
    for (Node n : g.allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name")) wanted.putIfAbsent(n.attrStr("name"), n);
    if (dir != null && !Files.isDirectory(dir)) throw new CliException("--weights " + dir + ": not a directory");
    if (wanted.isEmpty()) return Map.of();
    if (dir == null) {
      dir = defaultDir(irFile);
      if (!Files.isDirectory(dir))
        throw new CliException("graph @" + g.name() + " needs weights " + wanted.keySet() + ": give --weights DIR (no " + dir + " beside the file)");
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (var e : wanted.entrySet()) {
      Path f = dir.resolve(e.getKey() + ".npy");
      String what = "weight '" + e.getKey() + "' (" + e.getValue().describe() + " in @" + g.name() + ")";
      if (!Files.isRegularFile(f)) throw new CliException(what + ": no file " + f);
      Tensor t = Npy.read(f);
      if (e.getValue().result().type() instanceof TensorType tt && tt.shape().isStatic()) {
        boolean same = tt.dtype() == t.dtype() && java.util.Arrays.equals(tt.shape().sizes(), t.shape());
        if (!same) throw new CliException(what + ": " + f + " holds " + t.dtype().text() + Shape.sizesToString(t.shape())
            + ", expected " + tt.text());
      }
      out.put(e.getKey(), t);
    }
    return out;
  }
}
