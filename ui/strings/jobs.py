"""Strings of the shared job panel (ui/jobs.py)."""
KO = {
    'jobs.busy': '학습이 진행 중입니다. 끝나거나 정지한 뒤에 새로 시작하세요.',
    'jobs.busy_other': '다른 페이지의 작업({name})이 실행 중입니다. 한 번에 하나만 실행됩니다. 그 페이지에서 정지하거나 끝날 때까지 기다리세요.',
    'jobs.failed': '작업이 예상하지 못한 오류({kind})로 멈췄습니다. 입력이나 설정을 바꿔 다시 해 보세요. 앱은 계속 쓸 수 있습니다.',
    'jobs.details': '자세히 (강사·버그 신고용)',
}
EN = {
    'jobs.busy': 'A run is in progress. Start a new one after it finishes or is stopped.',
    'jobs.busy_other': 'A job on another page ({name}) is running; one runs at a time. Stop it there or wait for it to finish.',
    'jobs.failed': 'The job stopped on an unexpected error ({kind}). Change the input or settings and try again; the app keeps running.',
    'jobs.details': 'Details (for the instructor or a bug report)',
}
