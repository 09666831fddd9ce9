"""Strings of the day-8 agent page (tool-using agent, writer–critic). KO is the default; EN has the same keys."""
KO = {
    'page.agent': '도구를 쓰는 AI 에이전트',
    'agent.intro': '도구(계산기, 단위 변환, 달력, 강의 노트 검색, 헌법 RAG)를 부르며 답을 찾는 에이전트입니다. 생각 → 도구 호출(인자) → 관찰 → 답의 모든 단계가 도착하는 '
                   '대로 보이고, 단계마다 무엇이 그것을 정했는지(모델, 모델에 건 제약, 고정 규칙, 도구) 표시합니다.',
    'agent.tab.agent': '🛠️ 도구 에이전트',
    'agent.tab.duo': '👥 작가와 비평가 (멀티 에이전트)',
    'agent.settings': '에이전트 설정',
    'agent.max_steps': '최대 단계 수 (모델 호출 횟수)',
    'agent.native': '제공자의 네이티브 함수 호출(tools=) 사용',
    'agent.native_help': 'OpenAI·Gemini·vLLM 등은 도구 호출을 API로 지원합니다. 끄면(그리고 로컬 모델에서는 항상) 시스템 프롬프트에 도구의 JSON 스키마를 적고 '
                         '<tool_call>{JSON}</tool_call> 형식으로 답하게 한 뒤, 답을 파싱하고 스키마로 인자를 검증합니다.',
    'agent.native_local': '로컬 모델은 제약된 도구 호출을 씁니다: 토크나이저 자체의 채팅 템플릿(tools=)에 <tool_call> 여는 부분을 미리 채우고, 도구 이름은 유효한 '
                          '이름 중 확률이 가장 높은 것을 고르며, 인자는 스키마의 키마다 값만 씁니다(목록이 정해진 값은 그 목록 안에서 점수로, 숫자는 과제에 있는 수 중에서). '
                          '계산기를 고르면 모델이 짧은 파이썬 프로그램을 씁니다.',
    'agent.mapped': '모델이 쓴 이름을 가장 가까운 도구로 바꿈: {names}',
    'agent.from_tool': '🔧 {tool}의 결과를 그대로 옮김 (모델이 베껴 쓴 것이 아님): {result}',
    'agent.tools': '도구와 JSON 스키마 (LangChain StructuredTool)',
    'agent.example': '예시 과제',
    'agent.task': '과제',
    'agent.run': '에이전트 실행',
    'agent.no_provider': '먼저 왼쪽에서 쓸 수 있는 LLM을 고르세요.',
    'agent.turn': '{n}단계',
    'agent.thought': '💭 생각',
    'agent.program': '모델이 쓴 프로그램 (안전한 평가기가 실행합니다)',
    'agent.call': '🔧 도구 호출: {tool}',
    'agent.observation': '👀 관찰 ({tool})',
    'agent.error': '⚠️ 오류 관찰 — 모델에게 그대로 돌려줍니다',
    'agent.answer': '✅ 답',
    'agent.weak_match': '(근거가 약한, 가장 가까운 문장)',
    'agent.not_found': '문서에서 찾지 못했습니다',
    'agent.limit': '최대 단계 수({n})에 도달해 멈췄습니다. 단계 수를 늘리거나 과제를 더 구체적으로 써 보세요.',
    'agent.stopped': '⏹️ 중단했습니다.',
    'agent.waiting': '모델이 생각하는 중… (작은 CPU 모델은 단계마다 수십 초 걸릴 수 있습니다)',
    'agent.small_hint': '0.5B 로컬 모델은 자유롭게 쓰게 하면 예시를 베끼고 숫자를 잘못 옮깁니다. 그래서 모델은 고르기만 하거나(도구 이름, 단위, later/ago: 확률이 생각 '
                        '칸에 보입니다) 짧은 프로그램을 씁니다(프로그램 보조 풀이: 안전한 평가기가 round, floor, ceil, //, %, factorial, min, max, '
                        'convert_units만 허용해 실행합니다). 보여 주는 풀이 예시는 고정된 것이 아니라 예시 모음(data/agent_examples.jsonl)에서 '
                        'e5 임베딩으로 과제와 가장 가까운 4개를 골라 씁니다(동적 퓨샷: 모음에 예시를 더하면 됩니다). 도구를 고르기 전에도 '
                        '모음에서 가장 가까운 과제 4개와 각각에 쓴 도구를 먼저 보여 줍니다. 결과 다음에 할 일은 도구의 메타데이터가 정합니다: 답이 되는 결과(계산, 날짜)는 그대로 답이 되고, 검색한 '
                        '문장(근거) 다음에는 모델이 그 문장으로 답할지 그 문장 위에서 계산할지 고릅니다. 과제의 "1억 2천만" 같은 수는 값(120000000)과 함께 프로그램 첫 줄에 적어 줍니다. 오류가 두 번 나면 멈춥니다.',
    'agent.ex.calc': '3847 나누기 17은 얼마인가요?',
    'agent.ex.units': '화씨 98.6도는 섭씨 몇 도인가요?',
    'agent.ex.date': '오늘부터 100일 후는 몇 년 몇 월 며칠인가요?',
    'agent.ex.law': '헌법에 따르면 대통령의 임기는 몇 년인가요?',
    'agent.ex.notes': '강의 노트에 따르면 LoRA는 무엇을 고정(freeze)하나요?',
    'agent.ex.two': '5 kg을 파운드로 바꾼 뒤 2를 곱하면 얼마인가요?',
    'agent.duo_intro': '두 에이전트가 차례로 말합니다: 작가가 초안을 쓰고, 비평가가 고칠 점을 짚고, 작가가 다시 씁니다 (정해진 라운드 수만큼). 멀티 에이전트 프레임워크의 가장 작은 '
                       '모양입니다.',
    'agent.duo_task': '작가에게 줄 과제',
    'agent.duo_default': '드롭아웃이 왜 과적합을 줄이는지 초보자에게 설명해 주세요.',
    'agent.rounds': '비평·수정 라운드 수',
    'agent.duo_run': '대화 시작',
    'agent.writer': '✍️ 작가 (라운드 {n})',
    'agent.critic': '🧐 비평가 (라운드 {n})',
    'agent.empty_task': '과제가 비어 있습니다.',
    'agent.bad_steps': '최대 단계 수는 1에서 {limit} 사이여야 합니다.',
    'agent.bad_rounds': '라운드 수는 1에서 {limit} 사이여야 합니다.',
    'agent.bad_unit': '모르는 단위입니다: {unit}',
    'agent.unit_mismatch': '{src}을(를) {dst}(으)로 바꿀 수 없습니다 (차원이 다름).',
    'agent.bad_offset': '날짜 이동은 {limit}일 이내여야 합니다.',
    'agent.no_answer': '(답을 찾지 못했습니다)',
    'agent.by.model': '🧠 모델이 정함',
    'agent.by.constraint': '🔒 모델이 정하되, 허용된 값 안에서만 (제약)',
    'agent.by.policy': '📏 고정 규칙이 정함',
    'agent.by.tool': '🔧 도구',
    'agent.measured_local': '측정한 성공률 (bench/agent.py, Qwen2.5-Coder-0.5B, 단계 한도 5): 코드도 다른 세트도 보지 않은 사람이 쓰고 점수로만 읽은 과제 세트({unseen_set})에서 {unseen}. '
                            '같은 방식으로 쓴 v1, set2, set3, set4에서 {outside}, 여기서 쓴 개발 세트에서 {dev} (이 네 세트는 과제를 하나하나 읽었으므로 이제 개발 세트입니다). '
                            '과제당 중앙값 {median}초 (2코어, 다른 작업 없이).',
    'agent.measured_api': 'API 모델의 성공률은 이 프로젝트에서 측정하지 않았습니다(키 없음). 작은 로컬 모델은 처음 보는 세트({unseen_set})에서 {unseen}. 키가 있으면 '
                          'bench/agent.py로 같은 세트를 재 보세요.',
    'agent.program_refused': '프로그램에 허용되지 않는 문법입니다: {what}',
    'agent.program_name': '프로그램에 모르는 이름이 있습니다: {name}',
    'agent.program_math': '프로그램 실행 중 오류: {reason}',
    'agent.program_syntax': '파이썬 프로그램이 아닙니다: {reason}',
    'agent.program_empty': '프로그램이 숫자를 계산하지 않습니다.',
    'agent.program_long': '프로그램이 너무 깁니다.',
}

EN = {
    'page.agent': 'Tool-using AI agent',
    'agent.intro': 'An agent that calls tools (calculator, unit conversion, calendar, course-notes search, '
                   'constitution RAG) to find the answer. Every step — thought → tool call (arguments) → '
                   'observation → answer — appears as it arrives, with what decided it: the model, a constraint on '
                   'the model, a fixed policy, or the tool.',
    'agent.tab.agent': '🛠️ Tool agent',
    'agent.tab.duo': '👥 Writer and critic (multi-agent)',
    'agent.settings': 'Agent settings',
    'agent.max_steps': 'Step limit (model calls)',
    'agent.native': "Use the provider's native function calling (tools=)",
    'agent.native_help': 'OpenAI, Gemini, vLLM and others support tool calls in their API. When off (and always for '
                         "local models) the tools' JSON schemas go into the system prompt, the model answers with "
                         '<tool_call>{JSON}</tool_call>, and the reply is parsed and its arguments validated '
                         'against the schema.',
    'agent.native_local': "Local models use constrained tool calls: the tokenizer's own chat template (tools=) with "
                          'the <tool_call> opener prefilled; the tool name is the most probable valid name and the '
                          'model writes only the value of each schema key (a value from a fixed list chosen by '
                          "score, a number among the task's numbers). When it picks the calculator, the model "
                          'writes a short Python program.',
    'agent.mapped': "The model's name mapped to the closest tool: {names}",
    'agent.from_tool': "🔧 {tool}'s result, copied verbatim (not retyped by the model): {result}",
    'agent.tools': 'Tools and their JSON schemas (LangChain StructuredTool)',
    'agent.example': 'Example task',
    'agent.task': 'Task',
    'agent.run': 'Run the agent',
    'agent.no_provider': 'First pick an available LLM in the sidebar.',
    'agent.turn': 'Step {n}',
    'agent.thought': '💭 Thought',
    'agent.program': 'The program the model wrote (run by a safe evaluator)',
    'agent.call': '🔧 Tool call: {tool}',
    'agent.observation': '👀 Observation ({tool})',
    'agent.error': '⚠️ Error observation — fed back to the model',
    'agent.answer': '✅ Answer',
    'agent.weak_match': '(weak match, the closest sentence)',
    'agent.not_found': 'not found in the documents',
    'agent.limit': 'Stopped at the step limit ({n}). Raise the limit or make the task more specific.',
    'agent.stopped': '⏹️ Stopped.',
    'agent.waiting': 'The model is thinking… (a small CPU model may take tens of seconds per step)',
    'agent.small_hint': 'Left free, the 0.5B local model copies examples and miscopies numbers. So it only chooses '
                        '(tool names, units, later/ago: the probabilities show as the thought) or writes a short '
                        'program (program-aided solving: a safe evaluator runs it, allowing round, floor, ceil, //, '
                        '%, factorial, min, max, convert_units). The worked examples it is shown are not fixed: the '
                        '4 nearest to the task are retrieved with the e5 embedder from a pool '
                        '(data/agent_examples.jsonl; dynamic few-shot: add examples there). Before it chooses a '
                        'tool, it is shown the 4 nearest tasks of the pool with the tool each one needs. '
                        "What follows a result is set by the tool's "
                        'metadata: a result that answers (a calculation, a date) is the answer, verbatim; after a '
                        'retrieved sentence (evidence) the model chooses between answering from it and computing on '
                        'it. A number written with Korean '
                        "place units ('1억 2천만') is listed with its value on the program's first line. "
                        'Two errors end the run.',
    'agent.ex.calc': 'What is 3847 divided by 17?',
    'agent.ex.units': 'What is 98.6 °F in Celsius?',
    'agent.ex.date': 'What date is it 100 days from today?',
    'agent.ex.law': 'According to the Korean constitution, how long is the presidential term?',
    'agent.ex.notes': 'According to the course notes, what does LoRA freeze?',
    'agent.ex.two': 'Convert 5 kg to pounds, then multiply by 2.',
    'agent.duo_intro': 'Two agents take turns: the writer drafts, the critic points out what to fix, the writer '
                       'rewrites (for a fixed number of rounds). The smallest shape of a multi-agent framework.',
    'agent.duo_task': "The writer's task",
    'agent.duo_default': 'Explain to a beginner why dropout reduces overfitting.',
    'agent.rounds': 'Critique–revise rounds',
    'agent.duo_run': 'Start the conversation',
    'agent.writer': '✍️ Writer (round {n})',
    'agent.critic': '🧐 Critic (round {n})',
    'agent.empty_task': 'The task is empty.',
    'agent.bad_steps': 'The step limit must be between 1 and {limit}.',
    'agent.bad_rounds': 'The number of rounds must be between 1 and {limit}.',
    'agent.bad_unit': 'Unknown unit: {unit}',
    'agent.unit_mismatch': 'Cannot convert {src} to {dst} (different dimensions).',
    'agent.bad_offset': 'A date offset must be within {limit} days.',
    'agent.no_answer': '(no answer found)',
    'agent.by.model': '🧠 decided by the model',
    'agent.by.constraint': '🔒 decided by the model, within the allowed values (a constraint)',
    'agent.by.policy': '📏 decided by a fixed policy',
    'agent.by.tool': '🔧 the tool',
    'agent.measured_local': 'Measured success (bench/agent.py, Qwen2.5-Coder-0.5B, step limit 5): {unseen} on a set '
                            'written by someone who saw neither the code nor other sets, read only as a score ({unseen_set}); '
                            '{outside} on four sets written the same way (v1, set2, set3, set4: dev sets now, their '
                            'tasks were read one by one), {dev} on the dev sets written here. Median {median} s per task (2 '
                            'cores, quiet).',
    'agent.measured_api': "An API model's success was not measured in this project (no key). The small local model: "
                          '{unseen} on a set it had not seen ({unseen_set}). With a key, run bench/agent.py on the same sets.',
    'agent.program_refused': 'Not allowed in a program: {what}',
    'agent.program_name': 'Unknown name in the program: {name}',
    'agent.program_math': 'The program failed: {reason}',
    'agent.program_syntax': 'Not a Python program: {reason}',
    'agent.program_empty': 'The program computes no number.',
    'agent.program_long': 'The program is too long.',
}
