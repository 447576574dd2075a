-- The terms the LA collects: the one place every model and page gets a term's
-- dates from (its span, DfE census day and return deadline) and its order.
with term_dates as (
    select * from {{ ref('stg_reference__term_dates') }}
)

select
    academic_year,
    term,
    starts_on,
    ends_on,
    census_date,
    deadline,
    term || ' ' || academic_year as term_name,
    row_number() over (order by census_date) as term_order
from term_dates
