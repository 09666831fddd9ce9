"""Strings of the day-8 agent page (tool-using agent, writer–critic). KO is the default; EN has the same keys."""
KO = {
    'page.agent': '도구를 쓰는 AI 에이전트',
    'agent.intro': 'LLM이 스스로 계획하고 도구(계산기, 단위 변환, 날짜, 강의 노트 검색, 헌법 RAG)를 불러 답을 찾습니다. '
                   '생각 → 도구 호출(인자) → 관찰 → 답의 모든 단계가 도착하는 대로 보입니다.',
    'agent.tab.agent': '🛠️ 도구 에이전트',
    'agent.tab.duo': '👥 작가와 비평가 (멀티 에이전트)',
    'agent.settings': '에이전트 설정',
    'agent.max_steps': '최대 단계 수 (모델 호출 횟수)',
    'agent.native': '제공자의 네이티브 함수 호출(tools=) 사용',
    'agent.native_help': 'OpenAI·Gemini·vLLM 등은 도구 호출을 API로 지원합니다. 끄면(그리고 로컬 모델에서는 항상) '
                         '시스템 프롬프트에 도구의 JSON 스키마를 적고 <tool_call>{JSON}</tool_call> 형식으로 '
                         '답하게 한 뒤, 답을 파싱하고 스키마로 인자를 검증합니다.',
    'agent.native_local': '로컬 모델은 제약된 도구 호출을 씁니다: 토크나이저 자체의 채팅 템플릿(tools=)에 '
                          '<tool_call> 여는 부분을 미리 채우고, 도구 이름은 유효한 이름(final_answer 포함) 중 '
                          '확률이 가장 높은 것을 고르며, 모델은 스키마의 키마다 값만 씁니다. 목록이 정해진 값(단위, '
                          'later/ago, 요일)은 그 목록 안에서 점수로 고르고, 숫자 칸에는 숫자만 씁니다.',
    'agent.declined': '모델의 다음 호출 {call}은(는) 직전 결과를 쓰지 않으므로 하지 않고 답합니다.',
    'agent.mapped': '모델이 쓴 이름을 가장 가까운 도구로 바꿈: {names}',
    'agent.from_tool': '🔧 {tool}의 결과를 그대로 옮김 (모델이 베껴 쓴 것이 아님): {result}',
    'agent.tools': '도구와 JSON 스키마 (LangChain StructuredTool)',
    'agent.example': '예시 과제',
    'agent.task': '과제',
    'agent.run': '에이전트 실행',
    'agent.no_provider': '먼저 왼쪽에서 쓸 수 있는 LLM을 고르세요.',
    'agent.turn': '{n}단계',
    'agent.thought': '💭 생각',
    'agent.program': '모델이 쓴 계산 프로그램 (변수를 값으로 바꿔 계산기 한 번으로 계산합니다)',
    'agent.call': '🔧 도구 호출: {tool}',
    'agent.observation': '👀 관찰 ({tool})',
    'agent.error': '⚠️ 오류 관찰 — 모델에게 그대로 돌려줍니다',
    'agent.answer': '✅ 답',
    'agent.weak_match': '(근거가 약한, 가장 가까운 문장)',
    'agent.not_found': '문서에서 찾지 못했습니다',
    'agent.limit': '최대 단계 수({n})에 도달해 멈췄습니다. 단계 수를 늘리거나 과제를 더 구체적으로 써 보세요.',
    'agent.stopped': '⏹️ 중단했습니다.',
    'agent.waiting': '모델이 생각하는 중… (작은 CPU 모델은 단계마다 수십 초 걸릴 수 있습니다)',
    'agent.small_hint': '0.5B 로컬 모델은 자유롭게 쓰게 하면 예시를 베끼고 숫자를 잘못 옮깁니다. 그래서 선택을 '
                        '제약합니다: 도구 이름은 유효한 이름의 확률로 고르고(생각 칸에 그 확률이 보입니다), 인자는 '
                        '스키마의 키마다 값만 쓰며, 답은 도구 결과를 그대로 옮긴 뒤 모델이 뒤를 잇습니다. 모델은 '
                        '"끝났는지"를 스스로 잘 판단하지 못하므로, 다음 호출이 직전 결과의 숫자를 쓰지 않으면 바로 '
                        '답합니다. 두 번째 계산은 직전 결과에서 시작하고, 연산자와 과제에서 아직 쓰지 않은 수를 '
                        '점수로 고릅니다. 날짜는 "30일 전"처럼 수 하나와 단어(days/weeks, later/ago, 요일)로 '
                        '채우므로 부호를 쓸 일이 없습니다. 문장제(계산기를 골랐는데 식이 적혀 있지 않은 과제)는 '
                        '모델이 먼저 짧은 파이썬 프로그램으로 씁니다(프로그램 보조 추론): 코드 모델은 도구를 한 번씩 '
                        '계획하기보다 변수와 사칙연산을 더 잘 씁니다. 허용된 문법만 검사한 뒤 변수를 값으로 바꿔 '
                        '계산기 한 번으로 계산합니다. bench/agent.py가 성공률을 잽니다.',
    'agent.ex.calc': '3847 나누기 17은 얼마인가요?',
    'agent.ex.units': '화씨 98.6도는 섭씨 몇 도인가요?',
    'agent.ex.date': '오늘부터 100일 후는 몇 년 몇 월 며칠인가요?',
    'agent.ex.law': '헌법에 따르면 대통령의 임기는 몇 년인가요?',
    'agent.ex.notes': '강의 노트에 따르면 LoRA는 무엇을 고정(freeze)하나요?',
    'agent.ex.two': '5 kg을 파운드로 바꾼 뒤 2를 곱하면 얼마인가요?',
    'agent.duo_intro': '두 에이전트가 차례로 말합니다: 작가가 초안을 쓰고, 비평가가 고칠 점을 짚고, 작가가 다시 씁니다 '
                       '(정해진 라운드 수만큼). 멀티 에이전트 프레임워크의 가장 작은 모양입니다.',
    'agent.duo_task': '작가에게 줄 과제',
    'agent.duo_default': '드롭아웃이 왜 과적합을 줄이는지 초보자에게 설명해 주세요.',
    'agent.rounds': '비평·수정 라운드 수',
    'agent.duo_run': '대화 시작',
    'agent.writer': '✍️ 작가 (라운드 {n})',
    'agent.critic': '🧐 비평가 (라운드 {n})',
    'agent.empty_task': '과제가 비어 있습니다.',
    'agent.bad_steps': '최대 단계 수는 1에서 {limit} 사이여야 합니다.',
    'agent.bad_rounds': '라운드 수는 1에서 {limit} 사이여야 합니다.',
    'agent.calc_assign': '계산기에는 식만 쓰세요 (= 없이).',
    'agent.calc_names': '계산기에는 숫자만 쓸 수 있습니다: {names}',
    'agent.bad_unit': '모르는 단위입니다: {unit}',
    'agent.unit_mismatch': '{src}을(를) {dst}(으)로 바꿀 수 없습니다 (차원이 다름).',
    'agent.bad_offset': '날짜 이동은 {limit}일 이내여야 합니다.',
}

EN = {
    'page.agent': 'Tool-using AI agent',
    'agent.intro': 'The LLM plans and calls tools (calculator, unit conversion, date, course-notes search, '
                   'constitution RAG) to find the answer. Every step — thought → tool call (arguments) → '
                   'observation → answer — appears as it arrives.',
    'agent.tab.agent': '🛠️ Tool agent',
    'agent.tab.duo': '👥 Writer and critic (multi-agent)',
    'agent.settings': 'Agent settings',
    'agent.max_steps': 'Step limit (model calls)',
    'agent.native': "Use the provider's native function calling (tools=)",
    'agent.native_help': 'OpenAI, Gemini, vLLM and others support tool calls in their API. When off (and always '
                         'for local models) the tools\' JSON schemas go into the system prompt, the model answers '
                         'with <tool_call>{JSON}</tool_call>, and the reply is parsed and its arguments validated '
                         'against the schema.',
    'agent.native_local': "Local models use constrained tool calls: the tokenizer's own chat template (tools=) "
                          'with the <tool_call> opener prefilled; the tool name is the most probable valid name '
                          '(final_answer included) and the model writes only the value of each schema key. A value '
                          'from a fixed list (units, later/ago, weekday) is chosen by score among that list; a '
                          'number field takes digits only.',
    'agent.declined': "The model's next call {call} does not use the last result, so the agent answers instead.",
    'agent.mapped': "The model's name mapped to the closest tool: {names}",
    'agent.from_tool': "🔧 {tool}'s result, copied verbatim (not retyped by the model): {result}",
    'agent.tools': 'Tools and their JSON schemas (LangChain StructuredTool)',
    'agent.example': 'Example task',
    'agent.task': 'Task',
    'agent.run': 'Run the agent',
    'agent.no_provider': 'First pick an available LLM in the sidebar.',
    'agent.turn': 'Step {n}',
    'agent.thought': '💭 Thought',
    'agent.program': 'The calculation program the model wrote (its variables are substituted into one calculator call)',
    'agent.call': '🔧 Tool call: {tool}',
    'agent.observation': '👀 Observation ({tool})',
    'agent.error': '⚠️ Error observation — fed back to the model',
    'agent.answer': '✅ Answer',
    'agent.weak_match': '(weak match, the closest sentence)',
    'agent.not_found': 'not found in the documents',
    'agent.limit': 'Stopped at the step limit ({n}). Raise the limit or make the task more specific.',
    'agent.stopped': '⏹️ Stopped.',
    'agent.waiting': 'The model is thinking… (a small CPU model may take tens of seconds per step)',
    'agent.small_hint': 'Left free, the 0.5B local model copies examples and miscopies numbers, so its choices '
                        'are constrained: the tool name is picked by the probabilities of the valid names (shown as '
                        'the thought), the arguments are written value by value for the schema\'s keys, and the '
                        'answer starts from the tool result verbatim, the model continuing after it. A small model '
                        'cannot judge "done" itself, so when its next call does not use a number from the last '
                        'result, it answers. A second calculation starts from the last result, the operator and a '
                        'number the task has not used yet chosen by score. A date is one count and words (days/'
                        'weeks, later/ago, a weekday), so the model never writes a sign. A word problem (the '
                        'calculator chosen and no expression written out) is first written by the model as a short '
                        'Python program (program-aided reasoning): a coder model writes variables and arithmetic '
                        'better than it plans one tool call at a time. Only a whitelisted grammar is accepted, and '
                        'the variables are substituted into one calculator call. bench/agent.py measures the '
                        'success rate.',
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
    'agent.calc_assign': 'Give the calculator only the expression (no =).',
    'agent.calc_names': 'The calculator takes numbers only: {names}',
    'agent.bad_unit': 'Unknown unit: {unit}',
    'agent.unit_mismatch': 'Cannot convert {src} to {dst} (different dimensions).',
    'agent.bad_offset': 'A date offset must be within {limit} days.',
}
