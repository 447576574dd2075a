-- Every valid return (one per submission), ranked newest first within its school
-- and term: the newest is the one in force, the first received says if it was late.
with submissions as (
    select * from {{ ref('stg_pipeline__submissions') }}
),

loaded_returns as (
    select
        submission_id,
        urn,
        academic_year,
        term,
        max(received_at) as received_at
    from submissions
    where outcome = 'loaded' and urn is not null
    group by submission_id, urn, academic_year, term
)

select
    submission_id,
    urn,
    academic_year,
    term,
    received_at,
    row_number() over (
        partition by urn, academic_year, term
        order by received_at desc, submission_id desc
    ) as recency_rank,
    min(received_at) over (partition by urn, academic_year, term) as first_received_at
from loaded_returns
