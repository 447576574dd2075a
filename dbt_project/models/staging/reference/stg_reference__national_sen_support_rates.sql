with source_rates as (
    select * from {{ ref('national_sen_support_rates') }}
)

select
    cast(phase as varchar) as phase,
    cast(census_year as integer) as census_year,
    cast(sen_support_rate as double) as sen_support_rate,
    cast(source as varchar) as source_publication
from source_rates
