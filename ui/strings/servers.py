"""Strings of shared class servers (Chroma / LLM by settings). KO is the default; EN has the same keys."""
KO = {
    'vdb.bad_url': 'Chroma 서버 주소가 올바르지 않습니다: {url} (예: http://10.0.0.5:8000)',
    'vdb.server_unreachable': 'Chroma 서버 {url}에 연결할 수 없습니다. 서버가 켜져 있는지(`chroma run --path ./chroma --port 8000`), 주소가 맞는지 확인하세요.',
    'home.servers': '공유 서버',
    'home.chroma_embedded': 'Chroma: 이 컴퓨터 (내장)',
    'home.chroma_server': 'Chroma 서버: {url}',
    'home.llm_local': 'LLM: 내장 로컬 모델',
    'home.llm_server': 'LLM 서버 (OpenAI 호환): {url}',
    'home.servers_help': '수업 전체가 서버 하나를 쓰려면 COURSE_CHROMA_URL, COURSE_LLM_BASE_URL(+ COURSE_LLM_MODEL, COURSE_LLM_API_KEY)을 설정하세요.',
}

EN = {
    'vdb.bad_url': 'Not a valid Chroma server address: {url} (e.g. http://10.0.0.5:8000)',
    'vdb.server_unreachable': 'Cannot reach the Chroma server {url}. Check that it runs (`chroma run --path ./chroma --port 8000`) and the address is right.',
    'home.servers': 'Shared servers',
    'home.chroma_embedded': 'Chroma: this computer (embedded)',
    'home.chroma_server': 'Chroma server: {url}',
    'home.llm_local': 'LLM: shipped local model',
    'home.llm_server': 'LLM server (OpenAI-compatible): {url}',
    'home.servers_help': 'To give a whole class one server, set COURSE_CHROMA_URL and COURSE_LLM_BASE_URL (+ COURSE_LLM_MODEL, COURSE_LLM_API_KEY).',
}
