with source_term_dates as (
    select * from {{ ref('term_dates') }}
)

select
    cast(academic_year as varchar) as academic_year,
    cast(term as varchar) as term,
    cast(starts_on as date) as starts_on,
    cast(ends_on as date) as ends_on,
    cast(census_date as date) as census_date,
    cast(deadline as date) as deadline
from source_term_dates
