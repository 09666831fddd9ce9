"""Mixed precision: the fp32 / bf16 / auto choice on every training page and the lesson panel after a run."""

KO = {
    'precision.label': '정밀도',
    'precision.help': 'fp32: 32비트 부동소수점(기준). bf16: 연산을 bfloat16으로 하는 혼합 정밀도(autocast). '
                      'auto: 이 하드웨어에 bf16이 있으면 bf16(+합성곱 모델은 channels_last), 없으면 fp32.',
    'precision.opt.fp32': 'fp32',
    'precision.opt.bf16': 'bf16 혼합 정밀도',
    'precision.opt.auto': 'auto (자동)',
    'precision.runs_as': '→ 실제 실행: **{label}** — {reason}',
    'precision.fp32_chosen': '모든 수를 32비트 float로 계산합니다 (기준).',
    'precision.cpu_bf16': '이 CPU는 bf16을 하드웨어로 지원합니다({name}): auto는 bf16 혼합 정밀도를 씁니다.',
    'precision.cpu_no_bf16': '이 CPU에는 하드웨어 bf16이 없습니다({name}): 여기서는 auto = fp32입니다. '
                             'bf16을 고르면 에뮬레이션되어 fp32보다 느립니다.',
    'precision.cuda_bf16': 'GPU {name}가 bf16을 지원합니다: bf16 autocast를 씁니다.',
    'precision.cuda_fp16': 'GPU {name}에는 bf16이 없습니다: fp16 autocast와 GradScaler(손실 스케일링)를 씁니다.',
    'precision.bf16_chosen': 'bf16 혼합 정밀도, 이 CPU({name})에서 하드웨어로 실행됩니다.',
    'precision.bf16_emulated': 'bf16을 골랐지만 이 CPU에는 하드웨어 bf16이 없습니다({name}): 에뮬레이션이라 '
                               'fp32보다 훨씬 느립니다. 배우기엔 좋지만 속도 이득은 없습니다.',
    'precision.lesson': '정밀도 비교 (이번 세션에서 시도한 것)',
    'precision.ms_step': '스텝당 시간 (ms)',
    'precision.val_acc': '검증 정확도',
    'precision.why_range': 'bf16은 fp32와 같은 8비트 지수를 쓰므로 표현 범위가 같고(가수 비트만 적음), 그래서 '
                           'fp16과 달리 손실 스케일링 없이도 작은 그래디언트가 0으로 사라지지 않습니다.',
    'precision.try_other': '다른 정밀도를 골라 다시 학습하면 여기에 나란히 표시됩니다.',
}

EN = {
    'precision.label': 'Precision',
    'precision.help': 'fp32: 32-bit floats (the reference). bf16: mixed precision, matmuls and convolutions in '
                      'bfloat16 (autocast). auto: bf16 (+ channels_last for conv nets) where this hardware has '
                      'bf16, fp32 otherwise.',
    'precision.opt.fp32': 'fp32',
    'precision.opt.bf16': 'bf16 mixed precision',
    'precision.opt.auto': 'auto',
    'precision.runs_as': '→ runs as **{label}** — {reason}',
    'precision.fp32_chosen': 'Every number in 32-bit float (the reference).',
    'precision.cpu_bf16': 'This CPU has native bf16 ({name}): auto uses bf16 mixed precision.',
    'precision.cpu_no_bf16': 'This CPU has no native bf16 ({name}): auto = fp32 here. Choosing bf16 emulates it, '
                             'slower than fp32.',
    'precision.cuda_bf16': 'GPU {name} supports bf16: autocast in bf16.',
    'precision.cuda_fp16': 'GPU {name} has no bf16: autocast in fp16 with a GradScaler (loss scaling).',
    'precision.bf16_chosen': 'bf16 mixed precision, native on this CPU ({name}).',
    'precision.bf16_emulated': 'bf16 chosen, but this CPU has no native bf16 ({name}): it is emulated and much '
                               'slower than fp32 here. Good for learning, no speed-up.',
    'precision.lesson': 'Precision compared (what you tried this session)',
    'precision.ms_step': 'time per step (ms)',
    'precision.val_acc': 'validation accuracy',
    'precision.why_range': "bf16 keeps fp32's 8-bit exponent, so it covers the same range (only fewer mantissa "
                           'bits): unlike fp16, small gradients do not underflow and no loss scaling is needed.',
    'precision.try_other': 'Pick another precision and train again to see it side by side here.',
}
