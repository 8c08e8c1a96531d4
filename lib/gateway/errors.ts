/**
 * The gateway's failures a user reads as the tool result. They are
 * {@link ToolError}s: the kit shows their message as it is, and each names
 * the remote server, never repeating what the server said unbounded.
 */
import { ToolError } from "../mcp/tool.js";

/** What went wrong talking to a remote server. */
export type DownstreamFailureKind = "unreachable" | "timeout" | "too_large" | "invalid" | "refused_token" | "forbidden" | "http_error" | "error_response" | "aborted";

/** A conversation with a remote server failed. */
export class DownstreamFailure extends ToolError {
  constructor(
    readonly server: string,
    readonly kind: DownstreamFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DownstreamFailure";
  }
}
