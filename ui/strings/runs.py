"""Strings of the runs overview (experiment tracking). KO is the default; EN has the same keys."""
KO = {
    'page.runs': '실행 기록 (MLOps)',
    'runs.intro': '학습 페이지에서 돌린 모든 실행이 한 곳에 모입니다: 설정, 지표, 걸린 시간, 시드, 라이브러리 버전, 데이터 해시. 이것이 "실험 추적"입니다. 같은 시드·같은 데이터 해시·같은 버전이면 같은 결과가 나와야 합니다.',
    'runs.folder': '실행 파일 폴더: `{path}` (실행 하나 = JSON 파일 하나)',
    'runs.none': '아직 저장된 실행이 없습니다. DNN·CNN 또는 GAN 페이지에서 학습을 한 번 돌려 보세요.',
    'runs.bad_files': '읽을 수 없는 파일 {n}개를 건너뛰었습니다: {names}',
    'runs.count': '실행 수', 'runs.pages': '페이지', 'runs.filter': '페이지 고르기',
    'runs.table': '모든 실행', 'runs.compare': '실행 비교', 'runs.pick': '비교할 실행',
    'runs.metric': '곡선 지표', 'runs.final_metric': '최종 지표',
    'runs.curves': '{metric} 곡선 겹쳐 보기', 'runs.finals': '최종 {metric}', 'runs.x': '에폭/스텝',
    'runs.no_metric': '고른 실행들에 공통 곡선 지표가 없습니다.',
    'runs.diff': '설정 차이 (고른 실행 사이에서 다른 값만)', 'runs.same_settings': '고른 실행들의 설정이 모두 같습니다.',
    'runs.export': 'CSV로 내보내기', 'runs.export_help': '엑셀이나 pandas로 열 수 있는 표입니다 (pd.read_csv).',
}
EN = {
    'page.runs': 'Runs (MLOps)',
    'runs.intro': 'Every run from the training pages in one place: settings, metrics, duration, seed, library versions, data hash. This is "experiment tracking". Same seed, same data hash and same versions should give the same result.',
    'runs.folder': 'Runs folder: `{path}` (one run = one JSON file)',
    'runs.none': 'No saved runs yet. Train something once on the DNN, CNN or GAN page.',
    'runs.bad_files': 'Skipped {n} unreadable file(s): {names}',
    'runs.count': 'Runs', 'runs.pages': 'Pages', 'runs.filter': 'Pages to show',
    'runs.table': 'All runs', 'runs.compare': 'Compare runs', 'runs.pick': 'Runs to compare',
    'runs.metric': 'Curve metric', 'runs.final_metric': 'Final metric',
    'runs.curves': '{metric} curves overlaid', 'runs.finals': 'Final {metric}', 'runs.x': 'epoch/step',
    'runs.no_metric': 'The chosen runs share no curve metric.',
    'runs.diff': 'Settings that differ between the chosen runs', 'runs.same_settings': 'The chosen runs have identical settings.',
    'runs.export': 'Export CSV', 'runs.export_help': 'A table for Excel or pandas (pd.read_csv).',
}
