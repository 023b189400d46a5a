package dev.kiln.frontend.archive;

import dev.kiln.ir.IrException;

/**
 * A TorchScript archive that cannot be read safely: not a zip, truncated, an entry outside the archive's root, a
 * missing record, a size over the limits. The message names the file, the entry and what was expected.
 */
public class ArchiveException extends IrException {
  public ArchiveException(String message) { super(message); }

  public ArchiveException(String message, Throwable cause) { super(message, cause); }
}
