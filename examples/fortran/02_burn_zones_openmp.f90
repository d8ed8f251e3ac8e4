! Example 2: burn many zones in an OpenMP loop, one nnn_burn call per zone,
! with one network shared by all threads (like a stellar-evolution code's
! burn step over the cells of a model), and print the results in a
! machine-readable form.
!
!   02_burn_zones_openmp NETWORK [ZONES] [MODE] [DT]
!
!   ZONES  a zone file, or gen:N for N built-in zones (default gen:64)
!          over DT seconds (default 1)
!   MODE   loop  (default): !$omp parallel do over zones calling nnn_burn
!          zones           : one nnn_burn_zones call on omp_get_max_threads()
!                            threads of the engine
!
! Zone file (free format):  n_zones n_species dt
!                           T rho X(1) ... X(n_species)     (one line per zone)
! Output:  # 02_burn_zones_openmp mode=... n_zones=... n_species=... threads=... dt=...
!          species NAME_1 ... NAME_n
!          zone K IERR EPS_NUC EPS_NU YE N_STEPS X(1) ... X(n)     (K from 1)
!          # time_s=...
! Threads: OMP_NUM_THREADS. Exit status 0 even if zones fail (their IERR
! says so); 1 only if the network or the zone file cannot be read.
program burn_zones_openmp
  !$ use omp_lib, only: omp_get_max_threads
  use nnn
  use example_utils, only: die, wtime
  implicit none

  type(nnn_network_t) :: net
  character(len=512) :: network, zones, mode, arg
  character(len=16), allocatable :: names(:)
  real(dp), allocatable :: T(:), rho(:), X(:, :), eps_nuc(:), eps_nu(:), Ye(:)
  integer, allocatable :: ierr_z(:), steps(:)
  real(dp) :: dt, t0, t1
  integer :: ierr, n, nz, k, i, n_threads, nz_file, n_file, u

  if (command_argument_count() < 1) then
    write (*, '(a)') 'usage: 02_burn_zones_openmp NETWORK [ZONES|gen:N] [loop|zones] [DT]'
    stop 1
  end if
  call get_command_argument(1, network)
  zones = 'gen:64'
  mode = 'loop'
  if (command_argument_count() >= 2) call get_command_argument(2, zones)
  if (command_argument_count() >= 3) call get_command_argument(3, mode)
  n_threads = 1
  !$ n_threads = omp_get_max_threads()

  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) call die('nnn_load_network', ierr)
  n = nnn_n_species(net)
  allocate (names(n))
  do i = 1, n
    call nnn_isotope_name(net, i, names(i), ierr)
  end do

  if (zones(1:4) == 'gen:') then
    read (zones(5:), *) nz
    dt = 1.0_dp
    if (command_argument_count() >= 4) then
      call get_command_argument(4, arg)
      read (arg, *) dt
    end if
    call allocate_zones()
    call generate_zones()
  else
    open (newunit=u, file=zones, status='old', action='read', iostat=ierr)
    if (ierr /= 0) then
      write (*, '(a)') 'cannot open zone file '//trim(zones)
      stop 1
    end if
    read (u, *) nz_file, n_file, dt
    if (n_file /= n) then
      write (*, '(a,i0,a,i0)') 'zone file has n_species = ', n_file, ' but the network has ', n
      stop 1
    end if
    nz = nz_file
    call allocate_zones()
    do k = 1, nz
      read (u, *) T(k), rho(k), X(:, k)
    end do
    close (u)
  end if

  t0 = wtime()
  select case (trim(mode))
  case ('loop')
    ! One network, many threads: each iteration is one zone's burn step.
    !$omp parallel do schedule(dynamic, 1) default(shared) private(k)
    do k = 1, nz
      call nnn_burn(net, T(k), rho(k), X(:, k), dt, eps_nuc(k), eps_nu(k), ierr_z(k), &
          Ye=Ye(k), n_steps=steps(k))
    end do
    !$omp end parallel do
  case ('zones')
    call nnn_burn_zones(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, zone_status=ierr_z, &
        n_threads=n_threads)
    Ye = -1
    steps = -1
  case default
    write (*, '(a)') 'unknown mode '//trim(mode)//' (loop or zones)'
    stop 1
  end select
  t1 = wtime()

  write (*, '(a,a,a,i0,a,i0,a,i0,a,es24.17e3)') '# 02_burn_zones_openmp mode=', trim(mode), &
      ' n_zones=', nz, ' n_species=', n, ' threads=', n_threads, ' dt=', dt
  write (*, '(a)', advance='no') 'species'
  do i = 1, n
    write (*, '(1x,a)', advance='no') trim(names(i))
  end do
  write (*, '(a)') ''
  do k = 1, nz
    write (*, '(a,i0,1x,i0,3(1x,es25.17e3),1x,i0)', advance='no') 'zone ', k, ierr_z(k), eps_nuc(k), &
        eps_nu(k), Ye(k), steps(k)
    write (*, '(*(1x,es25.17e3))') X(:, k)
  end do
  write (*, '(a,f12.6)') '# time_s=', t1 - t0
  call nnn_free_network(net)

contains

  subroutine allocate_zones()
    allocate (T(nz), rho(nz), X(n, nz), eps_nuc(nz), eps_nu(nz), Ye(nz), ierr_z(nz), steps(nz))
    eps_nuc = 0
    eps_nu = 0
    Ye = 0
    ierr_z = -1
    steps = 0
  end subroutine allocate_zones

  ! T from 2.5e9 to 5e9 K, rho from 1e6 to 1e9 g/cm^3, si28/s32 (or he4) mixes.
  subroutine generate_zones()
    integer :: isi, is, ihe, e1, e2, e3
    real(dp) :: f
    call nnn_isotope_index(net, 'si28', isi, e1)
    call nnn_isotope_index(net, 's32', is, e2)
    call nnn_isotope_index(net, 'he4', ihe, e3)
    X = 0
    do k = 1, nz
      f = real(k - 1, dp) / real(max(nz - 1, 1), dp)
      T(k) = 2.5e9_dp * 2.0_dp**f
      rho(k) = 1e6_dp * 1e3_dp**mod(3.7_dp * f, 1.0_dp)
      if (e1 == NNN_OK .and. e2 == NNN_OK) then
        X(isi, k) = 0.5_dp + 0.3_dp * f
        X(is, k) = 1 - X(isi, k)
      else if (e3 == NNN_OK) then
        X(ihe, k) = 1
      else
        X(1, k) = 1
      end if
    end do
  end subroutine generate_zones

end program burn_zones_openmp
