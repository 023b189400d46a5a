package dev.kiln.cli;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.frontend.torchscript.TorchScriptImporter.ImportedModel;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Loads any model file the commands accept, by extension: {@code .kir} (Graph IR text, weights from a folder),
 * {@code .pt} (a torch.jit.save archive) and {@code .py} (TorchScript source with an entry function). TorchScript
 * has no shapes, so {@code .pt} and {@code .py} take their input types from {@code --input-type} or, failing
 * that, from the {@code --input} files.
 */
final class ModelLoader {
  /** A graph and the weight table its {@code const {name=...}} nodes refer to. */
  record Loaded(Graph graph, Map<String, Tensor> weights) {}

  /** Options shared by the commands that load models; picocli fills them. */
  static final class Options {
    @Option(names = "--weights", paramLabel = "DIR",
        description = "For .kir: folder of <name>.npy for const {name=...}; default: <file>.weights/ beside FILE if present.")
    Path weights;

    @Option(names = "--graph", paramLabel = "NAME", description = "For .kir: the graph to use when the file holds several (default: the first).")
    String graphName;

    @Option(names = "--entry", paramLabel = "FUNCTION", description = "For .py: the function to compile (default: forward).")
    String entry = "forward";

    @Option(names = "--input-type", paramLabel = "TYPE",
        description = "For .pt/.py: the type of each input in order, e.g. f32[N,3,224,224] (N stays symbolic); default: from --input files.")
    List<String> inputTypes = new ArrayList<>();
  }

  private ModelLoader() {}

  /**
   * @param inputs the {@code --input} files (may be empty; used for .pt/.py input types when no --input-type)
   * @throws CliException for a file kind Kiln does not read or missing input types
   */
  static Loaded load(Path file, Options o, List<Path> inputs) throws IOException {
    String name = file.getFileName().toString();
    if (name.endsWith(".kir")) {
      Graph g = IrFiles.select(IrFiles.readVerified(file), o.graphName, file);
      return new Loaded(g, WeightLoader.load(g, file, o.weights));
    }
    boolean archive = name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".zip");
    if (!archive && !name.endsWith(".py"))
      throw new CliException(file + ": unknown model kind; expected .kir (Graph IR), .pt (TorchScript archive) or .py (TorchScript source)");
    List<TensorType> types = inputTypes(file, o.inputTypes, inputs);
    ImportedModel m = archive ? TorchScriptImporter.importArchive(file, types) : TorchScriptImporter.importScript(file, o.entry, types);
    Verifier.verify(m.graph());
    return new Loaded(m.graph(), m.weights());
  }

  private static List<TensorType> inputTypes(Path file, List<String> texts, List<Path> inputs) throws IOException {
    List<TensorType> out = new ArrayList<>();
    if (!texts.isEmpty()) {
      for (int i = 0; i < texts.size(); i++) {
        Type t = IrParser.parseType(texts.get(i), "--input-type " + (i + 1));
        if (!(t instanceof TensorType tt)) throw new CliException("--input-type " + texts.get(i) + ": expected a tensor type such as f32[1,3,224,224]");
        out.add(tt);
      }
      return out;
    }
    if (inputs.isEmpty())
      throw new CliException(file + ": TorchScript has no input shapes; give --input X.npy or --input-type f32[1,3,224,224] for each input");
    for (Path p : inputs) {
      Tensor t = Npy.read(p);
      DType d = t.dtype();
      out.add(dev.kiln.ir.Type.tensor(d, Shape.of(t.shape())));
    }
    return out;
  }
}
