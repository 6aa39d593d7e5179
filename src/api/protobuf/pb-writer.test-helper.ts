// Test-only: builds protobuf bytes with protobufjs' Writer, field by field, so tests state the
// wire contents explicitly (field numbers as Kubernetes' generated.proto assigns them).

import protobuf from "protobufjs";

export type Field =
  | [num: number, "string", string]
  | [num: number, "bytes", Uint8Array]
  | [num: number, "varint", number]
  | [num: number, "int64", number]
  | [num: number, "bool", boolean]
  | [num: number, "double", number]
  | [num: number, "packed", number[]]
  | [num: number, "msg", Field[]];

export function message(fields: Field[]): Buffer {
  const w = protobuf.Writer.create();
  for (const f of fields) write(w, f);
  return Buffer.from(w.finish());
}

function write(w: protobuf.Writer, f: Field): void {
  const [num, kind, value] = f;
  switch (kind) {
    case "string":
      w.uint32((num << 3) | 2).string(value);
      break;
    case "bytes":
      w.uint32((num << 3) | 2).bytes(value);
      break;
    case "varint":
      w.uint32(num << 3).int32(value);
      break;
    case "int64":
      w.uint32(num << 3).int64(value);
      break;
    case "bool":
      w.uint32(num << 3).bool(value);
      break;
    case "double":
      w.uint32((num << 3) | 1).double(value);
      break;
    case "packed":
      w.uint32((num << 3) | 2).fork();
      for (const v of value) w.int64(v);
      w.ldelim();
      break;
    case "msg":
      w.uint32((num << 3) | 2).bytes(message(value));
      break;
  }
}

/** A full request body: magic + runtime.Unknown{typeMeta, raw}. */
export function kubeBody(apiVersion: string, kind: string, object: Field[], contentEncoding = ""): Buffer {
  const unknown: Field[] = [
    [1, "msg", [[1, "string", apiVersion], [2, "string", kind]]],
    [2, "bytes", message(object)],
  ];
  if (contentEncoding) unknown.push([3, "string", contentEncoding]);
  return Buffer.concat([Buffer.from("k8s\0", "latin1"), message(unknown)]);
}
