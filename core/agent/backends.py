"""How a model is asked for a turn (the loop in loop.py is the same for all): TextBackend, any chat provider, with
the tools in Qwen2.5's own text format (<tools>, <tool_call>{json}</tool_call>) and a lenient parser; OpenAIBackend
and GeminiBackend, native function calling. The model decides every step; the loop's last allowed turn answers.
"""
from __future__ import annotations

import json
import re

from .loop import MAX_CALLS_PER_TURN, Call, Reply
from .registry import tool_schemas

# serve/app.py parses the calls its model writes with these two as well
TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
ANSWER = re.compile(r"^\s*(?:final\s+answer|answer|답|최종\s*답)\s*[:：]\s*", re.I | re.M)
SYSTEM = """You are an agent that solves the task with tools. You may call these tools:
<tools>
{tools}
</tools>
To call a tool, write one short thought, then exactly one call:
Thought: <why>
<tool_call>{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}</tool_call>
The result comes back in <tool_response>. When you have what you need, reply:
Answer: <the answer, with the number or fact from the tool result>
Never compute in your head: the calculator runs short Python programs. Answer in the task's language."""
# worked examples with the real tools (measured before: an example with an unrelated weather tool made the model
# stop after its thought without any call)
FEW_SHOT = [
    ("Task: What is 48 * 27 - 5?",
     'Thought: I need arithmetic.\n<tool_call>{"name": "calculator", "arguments": {"expression": "48 * 27 - 5"}}'
     '</tool_call>', "1291", "Answer: 48 * 27 - 5 = 1291"),
    ("Task: 12 파운드는 몇 kg인가요?",
     'Thought: 단위 변환이 필요합니다.\n<tool_call>{"name": "convert_units", "arguments": {"value": 12, '
     '"from_unit": "lb", "to_unit": "kg"}}</tool_call>', "12 lb = 5.443108 kg",
     "Answer: 12 파운드는 약 5.443 kg입니다."),
]
NATIVE_SYSTEM = "Solve the task with the tools; never compute in your head. Answer briefly in the task's language."


def json_objects(text: str) -> list[str]:
    """The top-level JSON objects of a text, in order ('{..}\\n{..}' → two), each as written; an undecodable rest
    is the last piece."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) != -1:
        try:
            _, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            out.append(text[i:])
            break
        out.append(text[i:end])
        i = end
    return out


def _as_call(piece: str) -> Call | None:
    try:
        obj = json.loads(piece)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    name = obj.get("name") or obj.get("tool") or obj.get("function")
    if isinstance(name, dict):  # {"function": {"name": ..., "arguments": ...}}
        return _as_call(json.dumps(name))
    if not isinstance(name, str):
        return None
    args = obj.get("arguments", obj.get("args", obj.get("parameters", obj.get("input", {}))))
    if isinstance(args, str):  # some models double-encode the arguments
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            args = {"__text__": args}
    return Call(name, args if isinstance(args, dict) else {"__text__": args})


def _thought(text: str) -> str:
    return re.sub(r"^\s*thought\s*[:：]\s*", "", text, flags=re.I).strip()


def parse_reply(text: str) -> Reply:
    """A model's text → thought + tool calls, or an answer, or an error saying what was malformed."""
    text = text.strip()
    tagged = TOOL_CALL.search(text)
    start = tagged.start() if tagged else text.find("{")
    answer = ANSWER.search(text)
    if answer and (start < 0 or answer.start() < start):
        return Reply(thought=_thought(text[:answer.start()]), answer=text[answer.end():].strip())
    thought = _thought(text[:start] if start >= 0 else text)
    if start >= 0:
        body = tagged.group(1) if tagged else text[start:]
        calls = [c for c in map(_as_call, json_objects(body)) if c is not None][:MAX_CALLS_PER_TURN]
        if calls:
            return Reply(thought=thought, calls=calls)
        if tagged or '"name"' in body:
            return Reply(thought=thought, error='malformed tool call: write <tool_call>{"name": "...", '
                                                '"arguments": {...}}</tool_call> with valid JSON')
    if re.match(r"\s*thought\s*[:：]", text, re.I):  # a thought alone: the model stopped before acting
        return Reply(thought=thought, error="no tool call and no 'Answer:': write one of them")
    return Reply(answer=text)  # plain prose with no call is the model's answer


class TextBackend:
    """Tool use over plain chat: works with every provider, including the offline ones."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 200):
        self.provider, self.tools = provider, {t.name: t for t in tools}
        self.params = dict(temperature=temperature, max_tokens=max_tokens)

    def start(self, task: str) -> list[dict]:
        schemas = "\n".join(json.dumps(s, ensure_ascii=False) for s in tool_schemas(self.tools.values()))
        messages = [{"role": "system", "content": SYSTEM.format(tools=schemas)}]
        for question, call, result, answer in FEW_SHOT:
            if call.split('"name": "')[1].split('"')[0] in self.tools:
                messages += [{"role": "user", "content": question}, {"role": "assistant", "content": call},
                             {"role": "user", "content": f"<tool_response>\n{result}\n</tool_response>"},
                             {"role": "assistant", "content": answer}]
        return messages + [{"role": "user", "content": f"Task: {task}"}]

    def ask(self, messages: list[dict], stop_event=None, final: bool = False) -> Reply:
        if final:
            messages = messages + [{"role": "user", "content": "No more tool calls: reply with 'Answer: ...' now."}]
        text = "".join(self.provider.stream(messages, stop_event=stop_event, **self.params))
        reply = parse_reply(text)
        reply.raw = text
        return reply

    def record(self, messages: list[dict], reply: Reply, results: list) -> None:
        messages.append({"role": "assistant", "content": reply.raw})
        observed = [obs if ok else f"error: {obs}" for _, obs, ok in results] or [f"error: {reply.error}"]
        body = "\n".join(f"<tool_response>\n{obs}\n</tool_response>" for obs in observed)
        messages.append({"role": "user", "content": f"{body}\nIf this answers the task, reply 'Answer: ...'."})


class OpenAIBackend:
    """Native function calling of the OpenAI chat completions API (OpenAI, vLLM, Ollama... with tools=)."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 300):
        self.client, self.model, self.name = provider.client, provider.model, provider.name
        self.schemas, self.temperature, self.max_tokens = tool_schemas(tools), temperature, max_tokens

    def start(self, task: str) -> list[dict]:
        return [{"role": "system", "content": NATIVE_SYSTEM}, {"role": "user", "content": task}]

    def ask(self, messages: list[dict], stop_event=None, final: bool = False) -> Reply:
        from core.llm.errors import translate

        try:
            res = self.client.chat.completions.create(model=self.model, messages=messages, tools=self.schemas,
                                                      tool_choice="none" if final else "auto",
                                                      temperature=self.temperature, max_tokens=self.max_tokens)
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, self.name) from exc
        msg = res.choices[0].message
        if not msg.tool_calls:
            return Reply(answer=msg.content or "", raw=msg)
        calls, error = [], None
        for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]:
            try:
                args = json.loads(tc.function.arguments or "{}")
                calls.append(Call(tc.function.name, args if isinstance(args, dict) else {}, tc.id))
            except json.JSONDecodeError:
                error = f"malformed JSON arguments for {tc.function.name}"
        return Reply(thought=msg.content or "", calls=[] if error else calls, error=error, raw=msg)

    def record(self, messages: list[dict], reply: Reply, results: list) -> None:
        msg = reply.raw
        messages.append({"role": "assistant", "content": msg.content or "",
                         "tool_calls": [tc.model_dump() for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]]})
        for call, obs, ok in results:
            messages.append({"role": "tool", "tool_call_id": call.id, "content": obs if ok else f"error: {obs}"})
        if not results:  # a malformed call: every tool_call id still needs an answer
            for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]:
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": f"error: {reply.error}"})


class GeminiBackend:
    """Native function calling of google-genai (automatic calling off: the agent runs the tools itself)."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 300):
        types = provider._types
        self.client, self.model, self.types = provider.client, provider.model, types
        decls = [types.FunctionDeclaration(name=s["function"]["name"], description=s["function"]["description"],
                                           parameters_json_schema=s["function"]["parameters"])
                 for s in tool_schemas(tools)]
        self.config = dict(tools=[types.Tool(function_declarations=decls)], temperature=temperature,
                           max_output_tokens=max_tokens, system_instruction=NATIVE_SYSTEM,
                           automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))

    def start(self, task: str) -> list:
        return [self.types.Content(role="user", parts=[self.types.Part(text=task)])]

    def ask(self, contents: list, stop_event=None, final: bool = False) -> Reply:
        from core.llm.errors import translate

        config = self.types.GenerateContentConfig(**self.config, tool_config=self.types.ToolConfig(
            function_calling_config=self.types.FunctionCallingConfig(mode="NONE" if final else "AUTO")))
        try:
            res = self.client.models.generate_content(model=self.model, contents=contents, config=config)
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, "gemini") from exc
        calls = [Call(fc.name, dict(fc.args or {}), fc.id or "") for fc in (res.function_calls or [])]
        text = "".join(p.text for p in (res.candidates[0].content.parts or []) if p.text) if res.candidates else ""
        if not calls:
            return Reply(answer=text, raw=res)
        return Reply(thought=text, calls=calls[:MAX_CALLS_PER_TURN], raw=res)

    def record(self, contents: list, reply: Reply, results: list) -> None:
        contents.append(reply.raw.candidates[0].content)
        contents.append(self.types.Content(role="user", parts=[self.types.Part.from_function_response(
            name=call.name, response={"result" if ok else "error": obs}) for call, obs, ok in results]))


def make_backend(provider, tools, native: bool | None = None, constrained: bool = True):
    """Constrained calls for an in-process model; native function calling where the provider has it; the text
    protocol otherwise (or when native=False / constrained=False). native=None: OpenAI and Gemini natively;
    OpenAI-compatible servers by text, because not every server implements tools= (the project's own does)."""
    if constrained and hasattr(provider, "lm") and hasattr(provider, "tok"):
        from .constrained import LocalBackend

        return LocalBackend(provider, tools)
    name = getattr(provider, "name", "")
    if native is None:
        native = name in ("openai", "gemini")
    if native and name == "gemini":
        return GeminiBackend(provider, tools)
    if native and hasattr(provider, "client"):
        return OpenAIBackend(provider, tools)
    return TextBackend(provider, tools)
