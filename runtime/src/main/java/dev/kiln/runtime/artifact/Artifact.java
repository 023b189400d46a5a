package dev.kiln.runtime.artifact;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A {@code .kiln} artifact read and checked by {@link ArtifactReader}: everything a backend needs to build a model.
 * The graph must not be edited (models built from it share it across threads).
 *
 * @param source the file or resource it came from, for messages
 * @param manifest the checked manifest
 * @param graph the optimized graph from graph.kir, verified
 * @param weights weight name to tensor, every index entry, read-only by convention
 * @param classes for jvm: internal class name ({@code gen/Model}) to class file bytes; empty for interp
 * @param notes differences that do not prevent running (another vector width)
 * @param nativeFiles for llvm: the native/ entries by name (the shared library and native/plan.json), their
 *     SHA-256 checked against the manifest; empty otherwise
 */
public record Artifact(String source, Manifest manifest, Graph graph, Map<String, Tensor> weights, Map<String, byte[]> classes,
    List<String> notes, Map<String, byte[]> nativeFiles) {
  public Artifact {
    weights = Map.copyOf(weights);
    classes = Map.copyOf(classes);
    notes = List.copyOf(notes);
    nativeFiles = Map.copyOf(nativeFiles);
  }

  /** An artifact without native code. */
  public Artifact(String source, Manifest manifest, Graph graph, Map<String, Tensor> weights, Map<String, byte[]> classes,
      List<String> notes) {
    this(source, manifest, graph, weights, classes, notes, Map.of());
  }
}
