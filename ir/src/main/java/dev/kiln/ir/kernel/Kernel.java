package dev.kiln.ir.kernel;

import java.util.List;

/**
 * One kernel: the code for one graph node or fused group. {@code params} name the buffers it reads or writes;
 * {@code origin} describes the graph node it came from (for messages and the text form).
 */
public record Kernel(String name, List<String> params, List<Stmt> body, String origin) {
  public Kernel {
    params = List.copyOf(params);
    body = List.copyOf(body);
  }
}
