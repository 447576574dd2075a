with source_submissions as (
    select * from {{ source('pipeline', 'raw_submissions') }}
)

select
    submission_id,
    file_name,
    landing_path,
    sha256,
    urn,
    academic_year,
    term,
    received_at,
    processed_at,
    outcome,
    first_error,
    problem_count,
    contract_version,
    run_id,
    stored_path
from source_submissions
