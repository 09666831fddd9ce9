"""Strings for what a session keeps across reloads: its runs, its conversation and its language."""

KO = {
    'session.all_runs': '이 컴퓨터의 모든 실행 보기',
    'session.all_runs_help': '꺼져 있으면 이 브라우저 세션(주소의 ?sid=)에서 저장한 실행만 보입니다.',
    'session.chat_restored': '이전 대화 {n}개 메시지를 불러왔습니다 (새로고침해도 유지됩니다).',
}

EN = {
    'session.all_runs': 'Show all runs on this computer',
    'session.all_runs_help': 'When off, only runs saved in this browser session (?sid= in the address) are shown.',
    'session.chat_restored': 'Restored {n} earlier messages (kept across reloads).',
}
