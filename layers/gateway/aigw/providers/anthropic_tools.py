"""OpenAI `tools`, `tool_choice` and `response_format` -> Anthropic Messages request fields.

Source: Anthropic's Messages API reference (`tools[].input_schema`, `tool_choice` types `auto`,
`any`, `tool`, `none`, `disable_parallel_tool_use`; structured outputs `output_config.format`
with `type: json_schema`). Pure functions: each raises `InvalidRequest` (400, OpenAI shape on
compat) naming the offending parameter.
"""

from __future__ import annotations

from typing import Any

from aigw.errors import InvalidRequest

Block = dict[str, Any]

#: OpenAI `tool_choice` strings -> Anthropic `tool_choice.type`.
TOOL_CHOICES: dict[str, str] = {"auto": "auto", "none": "none", "required": "any"}


def convert_tools(body: dict[str, Any]) -> list[Block] | None:
    tools = body.get("tools")
    if not tools:
        return None
    out: list[Block] = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function" \
                or not function.get("name"):
            raise InvalidRequest(f"tools[{i}]: only function tools with a name are supported",
                                 param=f"tools[{i}]")
        converted: Block = {"name": function["name"],
                            "input_schema": function.get("parameters")
                            or {"type": "object", "properties": {}}}
        if function.get("description"):
            converted["description"] = function["description"]
        if function.get("strict"):
            converted["strict"] = True
        out.append(converted)
    return out


def convert_tool_choice(body: dict[str, Any]) -> Block | None:
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        out: Block = {"type": TOOL_CHOICES[choice]}
    elif isinstance(choice, dict) and choice.get("type") == "function" \
            and (choice.get("function") or {}).get("name"):
        out = {"type": "tool", "name": choice["function"]["name"]}
    elif choice is None:
        out = {"type": "auto"}
    else:
        raise InvalidRequest("tool_choice must be auto, none, required or a named function",
                             param="tool_choice")
    if body.get("parallel_tool_calls") is False and out["type"] != "none":
        out["disable_parallel_tool_use"] = True
    elif choice is None:
        return None  # Anthropic's default is auto; nothing to say
    return out


def convert_response_format(body: dict[str, Any]) -> Block | None:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise InvalidRequest("response_format.json_schema.schema is required",
                                 param="response_format")
        return {"format": {"type": "json_schema", "schema": schema}}
    if kind == "json_object":
        raise InvalidRequest("anthropic has no JSON mode without a schema; use response_format "
                             "type json_schema", param="response_format")
    raise InvalidRequest(f"response_format type '{kind}' is not supported",
                         param="response_format")
